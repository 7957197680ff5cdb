# cohort for R: the reference's workers API (launch.workers, list.workers, await.workers,
# stop.workers) and cohort's worker client (queues, results, snapshots), over the session's HTTP
# API. Base R only. One file, used three ways:
#   - the package:    R CMD INSTALL clients/r; library(cohort)
#   - `cohort r`:     R_PROFILE_USER=clients/r/profile.R sources this file before your script
#   - in a worker:    source(Sys.getenv("COHORT_R_CLIENT"))
#
# In an R session the first call starts a session (`cohort serve`) as a child of R, fed by a pipe:
# when R ends, however it ends, the pipe closes and the session stops its workers. Its console
# (every worker's output, as `[w1] text`) is R's standard output. Inside a worker (COHORT_API and
# COHORT_TOKEN set) the calls go to the worker's own session; with COHORT_SESSION set (a connection
# file, a session directory or a session id) they go to that session.
#
# Worker side:
#   cohort_for_each("params", function(item) {
#     score <- train(item$value)
#     cohort_result_put(paste0("lr=", item$value$lr), list(score = score))
#   })
#
# An item is acknowledged when its function returns; an error fails it (it is retried, or
# dead-lettered after too many attempts) and the loop goes on. Values travel as JSON: this file
# holds a small JSON reader and writer (objects become named lists, arrays lists or vectors).

# --- the connection -------------------------------------------------------------------------------

# Where the calls go and what this R process started. Fields: url, token, mode ("worker",
# "attached", "started"), pipe, dir, engine_id, item (the queue item being worked on).
.cohort_env <- new.env()

# The session to talk to: the worker's own, the one COHORT_SESSION names, or one started now.
.cohort_connection <- function() {
  s <- .cohort_env
  if (!is.null(s$url)) return(s)
  api <- Sys.getenv("COHORT_API")
  token <- Sys.getenv("COHORT_TOKEN")
  if (nzchar(api) && nzchar(token)) {
    s$url <- api; s$token <- token; s$mode <- "worker"
  } else if (nzchar(Sys.getenv("COHORT_SESSION"))) {
    info <- .cohort_read_connection(.cohort_connection_file(Sys.getenv("COHORT_SESSION")))
    s$url <- info$url; s$token <- info$token; s$mode <- "attached"
  } else {
    .cohort_start(s)
  }
  if (!identical(s$mode, "worker")) .cohort_engine_from_session()
  s
}

# The session's own engine variables (CDSW_IP_ADDRESS, ...) for those R has not set.
.cohort_engine_from_session <- function() {
  engine <- tryCatch(cohort_session()$engine_env, error = function(e) NULL)
  if (!is.list(engine) || length(engine) == 0) return(invisible())
  unset <- engine[!nzchar(Sys.getenv(names(engine)))]
  unset <- unset[vapply(unset, function(v) is.character(v) && length(v) == 1, TRUE)]
  if (length(unset) > 0) do.call(Sys.setenv, unset)
  invisible()
}

# COHORT_SESSION: a connection file, a session directory, or the id of a session under the home.
.cohort_connection_file <- function(session) {
  if (dir.exists(session)) return(file.path(session, "connection.json"))
  if (file.exists(session)) return(session)
  if (grepl("^[A-Za-z0-9_-]{1,40}$", session)) {
    home <- Sys.getenv("COHORT_HOME", file.path(path.expand("~"), ".cohort", "sessions"))
    f <- file.path(home, session, "connection.json")
    if (file.exists(f)) return(f)
  }
  stop("cohort: COHORT_SESSION='", session, "' is neither a connection file, a session directory",
       " nor the id of a session under COHORT_HOME; `cohort ps` lists the sessions", call. = FALSE)
}

.cohort_read_connection <- function(file) {
  info <- tryCatch(.cohort_json_read(paste(readLines(file, warn = FALSE), collapse = "\n")), error = function(e) NULL)
  if (!is.list(info) || is.null(info$url) || is.null(info$token)) {
    stop("cohort: ", file, " is not a session's connection file (it needs url and token)", call. = FALSE)
  }
  info
}

# The command that runs cohort: COHORT_COMMAND (a command line), else `cohort` on the PATH.
.cohort_command <- function() {
  cmd <- Sys.getenv("COHORT_COMMAND")
  if (nzchar(cmd)) return(cmd)
  path <- Sys.which("cohort")
  if (nzchar(path)) return(shQuote(path))
  stop("cohort: cannot start a session: the `cohort` command is not on the PATH. Put cohort's bin/",
       " directory on the PATH, or set COHORT_COMMAND to a command line that runs cohort (e.g.",
       " 'java -jar /path/to/cohort.jar'), or run your script with `cohort r script.R`; to use a",
       " session that runs already, set COHORT_SESSION to its connection file", call. = FALSE)
}

# Starts `cohort serve` as a child whose standard input is a pipe this R process holds: when R
# ends, however it ends, the pipe closes and the session ends with its workers (--parent-pid
# covers the case where a child of R inherited the pipe). Its standard output is R's: worker
# output appears in the R console. It ignores SIGINT, so Ctrl-C in R does not end it.
.cohort_start <- function(s) {
  cmd <- .cohort_command()
  dir <- tempfile("cohort-session-")
  dir.create(dir, mode = "0700")
  file <- file.path(dir, "connection.json")
  exit_file <- file.path(dir, "exit")
  line <- sprintf("trap '' INT; { %s serve --stdin --parent-pid %d --connection-file %s --id %s; }; echo $? > %s",
                  cmd, Sys.getpid(), shQuote(file), shQuote(s$engine_id), shQuote(exit_file))
  p <- pipe(line, open = "w")
  limit <- as.numeric(getOption("cohort.start_timeout", 120))
  deadline <- Sys.time() + limit
  repeat {
    if (file.exists(file)) {
      info <- tryCatch(.cohort_read_connection(file), error = function(e) NULL)
      if (!is.null(info)) break
    }
    if (file.exists(exit_file) || Sys.time() > deadline) {
      code <- if (file.exists(exit_file)) readLines(exit_file, warn = FALSE) else NULL
      try(close(p), silent = TRUE)
      unlink(dir, recursive = TRUE)
      if (!is.null(code)) {
        stop(sprintf("cohort: the session did not start: `%s serve` ended with exit code %s (its messages are above)",
                     cmd, code[1]), call. = FALSE)
      }
      stop(sprintf("cohort: the session did not start within %g s (`%s serve`); set options(cohort.start_timeout = SECONDS) to wait longer",
                   limit, cmd), call. = FALSE)
    }
    Sys.sleep(0.05)
  }
  s$url <- info$url; s$token <- info$token; s$mode <- "started"; s$pipe <- p; s$dir <- dir
  s$session_id <- info$id
  invisible(s)
}

# Ends the session this R process started (its workers are stopped); a session it attached to
# goes on. Called when R exits. The next call starts a new session.
cohort_close <- function() {
  s <- .cohort_env
  if (identical(s$mode, "started")) {
    try(.cohort_http("POST", "/v1/session/close", timeout = 30), silent = TRUE)
    try(close(s$pipe), silent = TRUE)  # waits until serve has stopped the workers and ended
    unlink(s$dir, recursive = TRUE)
  }
  s$url <- NULL; s$token <- NULL; s$mode <- NULL; s$pipe <- NULL; s$dir <- NULL
  invisible(NULL)
}

# The session's own description (GET /v1/session): id, url, directory, master_ip, engine_env, ...
cohort_session <- function() {
  .cohort_call("GET", "/v1/session")
}

# --- HTTP -----------------------------------------------------------------------------------------

# One request on its own connection. An error answer becomes an R error whose message is the
# session's (class cohort_error, with the HTTP status in $status).
.cohort_http <- function(method, path, body = raw(0), item = NULL, timeout = getOption("cohort.http_timeout", 90)) {
  s <- .cohort_connection()
  if (startsWith(s$url, "https://"))
    stop("cohort: the session speaks TLS to its workers (COHORT_API is ", s$url, ", with COHORT_TLS_PIN), and base R",
         " cannot pin a certificate; run R workers in a session with workerSecurity=off (only on a network you trust),",
         " or use Python or Java workers (docs/control-plane.md, \"Credentials and TLS\")", call. = FALSE)
  hostport <- sub("/.*$", "", sub("^http://", "", s$url))
  host <- sub(":[0-9]+$", "", hostport)
  port <- as.integer(sub("^.*:", "", hostport))
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  head <- paste0(method, " ", path, " HTTP/1.1\r\n",
                 "Host: ", hostport, "\r\n",
                 "Authorization: Bearer ", s$token, "\r\n",
                 "X-Cohort-Worker: ", Sys.getenv("CDSW_ENGINE_ID", "client"), "\r\n",
                 if (!is.null(item)) paste0("X-Cohort-Item: ", format(item, scientific = FALSE), "\r\n") else "",
                 if (length(body) > 0) "Content-Type: application/json\r\n" else "",
                 "Content-Length: ", length(body), "\r\n",
                 "Connection: close\r\n\r\n")
  con <- tryCatch(suppressWarnings(socketConnection(host, port, blocking = TRUE, open = "r+b", timeout = timeout)),
                  error = function(e) stop("cohort: cannot reach the session at ", s$url, " (", conditionMessage(e), "): has it ended?",
                                           if (identical(s$mode, "started")) " cohort_close() forgets it; the next call starts a new session",
                                           call. = FALSE))
  on.exit(close(con))
  writeBin(c(charToRaw(head), body), con)
  flush(con)
  response <- raw(0)
  repeat {
    chunk <- readBin(con, "raw", 65536)
    if (length(chunk) == 0) break
    response <- c(response, chunk)
  }
  split <- grepRaw("\r\n\r\n", response, fixed = TRUE)
  if (length(split) == 0) {
    stop(sprintf("cohort: no answer from the session at %s to %s %s within %g s", s$url, method, path, timeout), call. = FALSE)
  }
  headers <- rawToChar(response[seq_len(split - 1)])
  status <- as.integer(strsplit(headers, " ", fixed = TRUE)[[1]][2])
  payload <- if (split + 4 <= length(response)) response[(split + 4):length(response)] else raw(0)
  if (grepl("\r\ntransfer-encoding: *chunked", headers, ignore.case = TRUE)) payload <- .cohort_unchunk(payload)
  if (status >= 400) {
    text <- rawToChar(payload)
    parsed <- tryCatch(.cohort_json_read(text), error = function(e) NULL)
    message <- if (is.list(parsed) && is.character(parsed$error)) parsed$error
               else sprintf("cohort: the session answered %s %s with %d: %s", method, path, status, text)
    stop(structure(class = c("cohort_error", "error", "condition"),
                   list(message = message, call = NULL, status = status)))
  }
  payload
}

.cohort_unchunk <- function(payload) {
  out <- raw(0)
  pos <- 1
  repeat {
    eol <- grepRaw("\r\n", payload, offset = pos, fixed = TRUE)
    if (length(eol) == 0) break
    size <- strtoi(sub(";.*$", "", rawToChar(payload[pos:(eol - 1)])), 16L)
    if (is.na(size) || size == 0) break
    out <- c(out, payload[(eol + 2):(eol + 1 + size)])
    pos <- eol + 2 + size + 2
  }
  out
}

.cohort_path <- function(...) {
  paste0("/", paste(vapply(c(...), function(p) utils::URLencode(p, reserved = TRUE), ""), collapse = "/"))
}

# Any key (a URL, say) travels as a query parameter.
.cohort_key_path <- function(key) {
  paste0("/v1/results?key=", utils::URLencode(key, reserved = TRUE))
}

.cohort_call <- function(method, path, value = NULL, item = NULL, send = !is.null(value),
                         timeout = getOption("cohort.http_timeout", 90)) {
  body <- if (send) .cohort_json_write(value) else raw(0)
  payload <- .cohort_http(method, path, body, item, timeout = timeout)
  if (length(payload) == 0) NULL else .cohort_json_read(rawToChar(payload))
}

# Calls fn(item) for every item of the queue until it is closed and empty. item is a list with
# id, attempt and value. An error in fn fails that item with its message; the loop goes on.
# R runs one thing at a time, so heartbeats go out between items: an item that takes longer than
# the queue's lease (30 s by default) needs a queue declared with a longer leaseTime.
# async_ack = TRUE: the next item does not wait for the last one's acknowledgement to be stored
# ("ack_wait": false); the answer that ends the loop does (docs/control-plane.md).
cohort_for_each <- function(queue, fn, batch = 1, async_ack = FALSE) {
  path <- .cohort_path("v1", "queues", queue)
  finished <- list()
  last_beat <- Sys.time()
  beat <- function() {
    if (as.numeric(difftime(Sys.time(), last_beat, units = "secs")) > 5) {
      .cohort_call("POST", "/v1/heartbeat", list())
      last_beat <<- Sys.time()
    }
  }
  repeat {
    body <- list(max = batch, wait_ms = 30000, ack = finished)
    if (isTRUE(async_ack)) body$ack_wait <- FALSE
    r <- .cohort_call("POST", paste0(path, "/take"), body)
    finished <- list()
    for (raw in r$items) {
      beat()
      item <- list(id = raw$id, attempt = raw$attempt, value = raw$value)
      .cohort_env$item <- item$id
      ok <- tryCatch({ fn(item); TRUE }, error = function(e) {
        cohort_fail(queue, item$id, conditionMessage(e))
        FALSE
      })
      .cohort_env$item <- NULL
      if (ok) finished[[length(finished) + 1]] <- item$id
    }
    if (isTRUE(r$done)) return(invisible(NULL))
  }
}

# Adds an item; with a key, only if no item with that key was ever added. TRUE if added.
cohort_put <- function(queue, value, key = NULL) {
  body <- list(items = list(value))
  if (!is.null(key)) body$keys <- list(key)
  .cohort_call("POST", paste0(.cohort_path("v1", "queues", queue), "/items"), body)$added == 1
}

cohort_fail <- function(queue, id, error) {
  invisible(.cohort_call("POST", paste0(.cohort_path("v1", "queues", queue), "/fail"), list(id = id, error = substr(error, 1, 4000))))
}

# Stores (or replaces) a JSON value under a key, tagged with this worker and its current item.
cohort_result_put <- function(key, value) {
  invisible(.cohort_call("PUT", .cohort_key_path(key), value, .cohort_env$item, send = TRUE))
}

cohort_result_get <- function(key) {
  .cohort_call("GET", .cohort_key_path(key))
}

# Saves a file (a path) or a raw vector as a named snapshot.
cohort_snapshot_save <- function(name, data) {
  if (is.character(data)) data <- readBin(data, "raw", file.info(data)$size)
  invisible(.cohort_http("PUT", .cohort_path("v1", "snapshots", name), data, .cohort_env$item, timeout = 600))
}

cohort_snapshot_read <- function(name) {
  .cohort_http("GET", .cohort_path("v1", "snapshots", name), timeout = 600)
}

# Every worker of the session, this one included, running and ended, in launch order: a list of
# lists with id, status, kernel, ip_address, app_url, cpu, memory, ... Workers find each other here.
cohort_workers <- function() {
  .cohort_call("GET", "/v1/workers")
}

# --- the reference's workers API ------------------------------------------------------------------

# Starts n workers, each with cpu cores and memory GB (numbers, or strings such as "0.5"), running
# script (a file, relative to the session's working directory) or else code ("!cmd" is a shell
# command) with the kernel ("r", "python3", "java", "jshell", "shell"). env: a named list (or
# named character vector) of extra variables. Returns the new workers' descriptions, in index
# order. A launch the session refuses (a bad value, not enough CPU or memory) is an R error that
# names the problem; nothing starts.
launch.workers <- function(n, cpu, memory, nvidia_gpu = 0, kernel = "r", script = "", code = "", env = list(), ...) {
  .cohort_warn_extra("launch.workers", ...)
  body <- list()
  if (!missing(n)) body$n <- n
  if (!missing(cpu)) body$cpu <- cpu
  if (!missing(memory)) body$memory <- memory
  body$nvidia_gpu <- nvidia_gpu
  # The reference's default in R is "r"; a script named *.py, *.java, *.jsh or *.sh with no kernel
  # given runs with the kernel its extension names.
  body$kernel <- if (missing(kernel) && grepl("\\.(py|java|jsh|sh)$", paste(script, collapse = ""), ignore.case = TRUE)) "" else kernel
  body$script <- if (is.null(script)) "" else script
  body$code <- if (is.null(code)) "" else paste(code, collapse = "\n")
  body$env <- .cohort_env_object(env)
  .cohort_call("POST", "/v1/workers", body, timeout = 300)
}

# Every worker of the session, running and ended, in launch order (inside a worker too: peers).
list.workers <- function() {
  .cohort_call("GET", "/v1/workers")
}

# Waits until the workers (ids, descriptions, or none for all) have ended, or with
# wait_for_completion = FALSE until they run; timeout_seconds = 0 waits without limit.
# Returns list(workers = those that got there (for completion: succeeded), failures = the others).
await.workers <- function(ids, wait_for_completion = TRUE, timeout_seconds = 60, ...) {
  .cohort_warn_extra("await.workers", ...)
  ids <- if (missing(ids)) character(0) else .cohort_ids(ids)
  limit <- suppressWarnings(as.numeric(timeout_seconds))
  socket <- if (length(limit) != 1 || is.na(limit)) getOption("cohort.http_timeout", 90)
            else if (limit <= 0) 365 * 24 * 3600 else limit + 60
  r <- .cohort_call("POST", "/v1/workers/await",
                    list(ids = as.list(ids), wait_for_completion = wait_for_completion, timeout_seconds = timeout_seconds),
                    timeout = socket)
  list(workers = r$workers, failures = r$failures)
}

# Stops the workers given (ids, descriptions, or lists of them), or every worker when none is
# given, and returns once each has ended: one list per worker, with status_code 200 and the
# worker's description (id, status, ...). A worker that had ended already is returned as it is.
stop.workers <- function(...) {
  ids <- .cohort_ids(list(...))
  stopped <- .cohort_call("POST", "/v1/workers/stop", list(ids = as.list(ids)), timeout = 600)
  lapply(stopped, function(w) c(list(status_code = 200L), w))
}

# --- groups (cohort's own; docs/groups.md) ---------------------------------------------------------

# Launches a named group: roles is a list of lists, each with role and launch.workers' fields
# (n, cpu, memory, kernel, script, code, env, and service = list(port = P) / list(port = P,
# path = "/health") / list(line = "regex") for service workers). Ranked in the order given.
# Returns the group's description (name, size, ready, failed, rendezvous, workers).
cohort_launch_group <- function(name, roles) {
  parts <- lapply(roles, function(r) {
    if (!is.null(r$env)) r$env <- .cohort_env_object(r$env)
    if (!is.null(r$code)) r$code <- paste(r$code, collapse = "\n")
    if (is.null(r$kernel)) r$kernel <- "r"
    r
  })
  .cohort_call("POST", "/v1/groups", list(name = name, roles = parts), timeout = 300)
}

# A group's description: name, size, ready, failed, rendezvous (once ready) and its workers.
cohort_group <- function(name) {
  .cohort_call("GET", paste0("/v1/groups", .cohort_path(name)))
}

# As await.workers, over the group's members only (a service member counts once ready).
cohort_await_group <- function(name, wait_for_completion = TRUE, timeout_seconds = 60) {
  limit <- suppressWarnings(as.numeric(timeout_seconds))
  socket <- if (length(limit) != 1 || is.na(limit) || limit <= 0) 365 * 24 * 3600 else limit + 60
  r <- .cohort_call("POST", paste0("/v1/groups", .cohort_path(name), "/await"),
                    list(wait_for_completion = wait_for_completion, timeout_seconds = timeout_seconds), timeout = socket)
  list(workers = r$workers, failures = r$failures)
}

# Stops the group's members; returns them, ended.
cohort_stop_group <- function(name) {
  .cohort_call("POST", paste0("/v1/groups", .cohort_path(name), "/stop"), structure(list(), names = character(0)),
               timeout = 600)
}

# Inside a worker: waits until its group (or the one named) is ready, sets MASTER_ADDR, MASTER_PORT,
# RANK, WORLD_SIZE, LOCAL_RANK and TF_CONFIG in this process's environment, and returns the
# rendezvous. An R error names the member when one ended first, or says the timeout passed.
cohort_rendezvous <- function(timeout_seconds = 60, group = Sys.getenv("COHORT_GROUP")) {
  if (!nzchar(group)) stop("cohort_rendezvous() runs inside a cohort worker (COHORT_GROUP is not set)")
  deadline <- if (timeout_seconds > 0) Sys.time() + timeout_seconds else NULL
  repeat {
    left <- if (is.null(deadline)) 60 else max(0, as.numeric(deadline - Sys.time(), units = "secs"))
    wait <- min(60, left)
    r <- .cohort_call("POST", paste0("/v1/groups", .cohort_path(group), "/rendezvous"),
                      list(wait_ms = round(wait * 1000)), timeout = wait + 60)
    if (isTRUE(r$ready)) break
    if (!is.null(deadline) && Sys.time() >= deadline) {
      stop(sprintf("group '%s' is not ready after %s s; still waiting for %s", group, timeout_seconds,
                   paste(unlist(r$waiting_for), collapse = ", ")))
    }
  }
  me <- Sys.getenv("COHORT_WORKER_ID")
  for (m in r$members) {
    if (identical(m$worker, me)) {
      Sys.setenv(MASTER_ADDR = r$master_addr, MASTER_PORT = r$master_port, RANK = m$rank, WORLD_SIZE = r$size,
                 LOCAL_RANK = m$local_rank,
                 TF_CONFIG = .cohort_json_write(list(cluster = r$cluster,
                                                     task = list(type = m$role, index = m$role_index))))
    }
  }
  r
}

# Worker ids from ids, descriptions (lists with an id) or lists of either.
.cohort_ids <- function(x) {
  if (is.null(x) || length(x) == 0) return(character(0))
  if (is.list(x) && !is.null(x$id) && !is.list(x$id)) return(as.character(x$id))
  if (is.list(x)) return(unlist(lapply(x, .cohort_ids), use.names = FALSE))
  if (is.numeric(x)) return(format(x, scientific = FALSE, trim = TRUE))
  as.character(x)
}

# env as a JSON object: a named list or vector; "" and NULL (as the reference's examples pass) are
# no variables.
.cohort_env_object <- function(env) {
  empty <- structure(list(), names = character(0))
  if (is.null(env) || length(env) == 0 || (is.character(env) && length(env) == 1 && is.null(names(env)) && env == "")) {
    return(empty)
  }
  if (is.null(names(env)) || any(names(env) == "")) {
    stop("cohort: env must be a named list of variables, e.g. env = list(LEARNING_RATE = \"0.1\")", call. = FALSE)
  }
  as.list(env)
}

# The reference's newer releases take more arguments (name, accelerator_label_id, ...): they are
# accepted and ignored, with a warning naming them.
.cohort_warn_extra <- function(fn, ...) {
  extra <- list(...)
  if (length(extra) == 0) return(invisible())
  labels <- names(extra)
  if (is.null(labels)) labels <- rep("", length(extra))
  labels[labels == ""] <- "(unnamed)"
  warning(sprintf("%s: cohort ignores the argument%s %s", fn, if (length(extra) > 1) "s" else "",
                  paste(labels, collapse = ", ")), call. = FALSE)
}

# --- JSON ---------------------------------------------------------------------------------------

.cohort_json_write <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x)) && length(x) > 0) {
      parts <- mapply(function(k, v) paste0(.cohort_json_string(k), ":", .cohort_json_write(v)), names(x), x)
      return(paste0("{", paste(parts, collapse = ","), "}"))
    }
    if (!is.null(names(x))) return("{}")
    return(paste0("[", paste(vapply(x, .cohort_json_write, ""), collapse = ","), "]"))
  }
  one <- function(v) {
    if (is.na(v)) return("null")
    if (is.logical(v)) return(if (v) "true" else "false")
    if (is.numeric(v)) return(format(v, digits = 15, scientific = FALSE, trim = TRUE))
    .cohort_json_string(as.character(v))
  }
  if (length(x) == 1 && is.null(names(x))) return(one(x))
  if (!is.null(names(x))) return(.cohort_json_write(as.list(x)))
  paste0("[", paste(vapply(x, one, ""), collapse = ","), "]")
}

.cohort_json_string <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\r", "\\r", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", s, "\"")
}

.cohort_json_read <- function(text) {
  chars <- strsplit(text, "")[[1]]
  pos <- 1
  n <- length(chars)
  skip <- function() while (pos <= n && chars[pos] %in% c(" ", "\n", "\r", "\t")) pos <<- pos + 1
  value <- function() {
    skip()
    c <- chars[pos]
    if (c == "{") {
      pos <<- pos + 1; out <- list(); skip()
      if (chars[pos] == "}") { pos <<- pos + 1; return(structure(list(), names = character(0))) }
      repeat {
        skip(); k <- str(); skip()
        if (chars[pos] != ":") stop("cohort: bad JSON, ':' expected at ", pos)
        pos <<- pos + 1
        v <- value()
        out[k] <- list(v)
        skip()
        if (chars[pos] == ",") { pos <<- pos + 1; next }
        if (chars[pos] == "}") { pos <<- pos + 1; return(out) }
        stop("cohort: bad JSON at ", pos)
      }
    }
    if (c == "[") {
      pos <<- pos + 1; out <- list(); skip()
      if (chars[pos] == "]") { pos <<- pos + 1; return(out) }
      repeat {
        out[[length(out) + 1]] <- value()
        skip()
        if (chars[pos] == ",") { pos <<- pos + 1; next }
        if (chars[pos] == "]") { pos <<- pos + 1; return(out) }
        stop("cohort: bad JSON at ", pos)
      }
    }
    if (c == "\"") return(str())
    if (substr(text, pos, pos + 3) == "true") { pos <<- pos + 4; return(TRUE) }
    if (substr(text, pos, pos + 4) == "false") { pos <<- pos + 5; return(FALSE) }
    if (substr(text, pos, pos + 3) == "null") { pos <<- pos + 4; return(NULL) }
    start <- pos
    while (pos <= n && chars[pos] %in% c("-", "+", ".", "e", "E", as.character(0:9))) pos <<- pos + 1
    if (pos == start) stop("cohort: bad JSON at ", pos)
    as.numeric(paste(chars[start:(pos - 1)], collapse = ""))
  }
  str <- function() {
    pos <<- pos + 1
    out <- character(0)
    repeat {
      c <- chars[pos]
      pos <<- pos + 1
      if (c == "\"") break
      if (c == "\\") {
        e <- chars[pos]; pos <<- pos + 1
        c <- switch(e, n = "\n", t = "\t", r = "\r", b = "\b", f = "\f",
                    u = { h <- paste(chars[pos:(pos + 3)], collapse = ""); pos <<- pos + 4; intToUtf8(strtoi(h, 16L)) },
                    e)
      }
      out[length(out) + 1] <- c
    }
    paste(out, collapse = "")
  }
  v <- value()
  v
}

# --- loading --------------------------------------------------------------------------------------

# The session is an engine too: code in it sees the reference's variables, as workers do (set
# when this file is sourced or the package loaded, unless set already; not inside a worker).
# CDSW_ENGINE_ID is the id the session will have. A value inherited from another R process that
# loaded cohort (COHORT_ENGINE_PID is not this process) is replaced, so two sessions never share an id.
.cohort_on_load <- function() {
  s <- .cohort_env
  reg.finalizer(s, function(e) cohort_close(), onexit = TRUE)
  if (nzchar(Sys.getenv("COHORT_API")) && nzchar(Sys.getenv("COHORT_TOKEN"))) return(invisible())
  id <- Sys.getenv("CDSW_ENGINE_ID")
  owner <- Sys.getenv("COHORT_ENGINE_PID")
  attached <- Sys.getenv("COHORT_SESSION")
  if (nzchar(attached)) {
    info <- tryCatch(.cohort_read_connection(.cohort_connection_file(attached)), error = function(e) NULL)
    if (!is.null(info$id)) id <- info$id
  } else if (!grepl("^[A-Za-z0-9_-]{1,40}$", id) || (nzchar(owner) && owner != as.character(Sys.getpid()))) {
    id <- .cohort_new_id()
  }
  s$engine_id <- id
  Sys.setenv(CDSW_ENGINE_ID = id, COHORT_ENGINE_PID = Sys.getpid())
  defaults <- list(CDSW_ENGINE_TYPE = "console", CDSW_APP_PORT = "8080", CDSW_READONLY_PORT = "8000",
                   CDSW_PUBLIC_PORT = "8100", CDSW_DOMAIN = "localhost", CDSW_PROJECT = basename(getwd()),
                   CDSW_CREATOR = Sys.getenv("USER", Sys.info()[["user"]]))
  unset <- defaults[!nzchar(Sys.getenv(names(defaults)))]
  if (length(unset) > 0) do.call(Sys.setenv, unset)
  invisible()
}

# A fresh session id from the clock and the process id (R's random numbers are the user's).
.cohort_new_id <- function() {
  digits <- c(0:9, letters)
  base36 <- function(x, width) {
    out <- character(0)
    for (i in seq_len(width)) { out <- c(digits[x %% 36 + 1], out); x <- x %/% 36 }
    paste(out, collapse = "")
  }
  ms <- floor(as.numeric(Sys.time()) * 1000)
  paste0("r", base36(ms %% 36^6, 6), base36(Sys.getpid() %% 36^3, 3))
}

.onLoad <- function(libname, pkgname) .cohort_on_load()

# Sourced (a worker, `cohort r`), not installed as a package: set up now.
if (!isNamespace(topenv(environment()))) .cohort_on_load()
