# cohort's worker client for R: queues, results and snapshots over the session's HTTP API.
# Base R only. Inside a worker:  source(Sys.getenv("COHORT_R_CLIENT"))
#
#   cohort_for_each("params", function(item) {
#     score <- train(item$value)
#     cohort_result_put(paste0("lr=", item$value$lr), list(score = score))
#   })
#
# An item is acknowledged when its function returns; an error fails it (it is retried, or
# dead-lettered after too many attempts) and the loop goes on. Values travel as JSON: this file
# holds a small JSON reader and writer (objects become named lists, arrays lists or vectors).

.cohort_http <- function(method, path, body = raw(0), item = NULL, timeout = 90) {
  api <- Sys.getenv("COHORT_API")
  token <- Sys.getenv("COHORT_TOKEN")
  if (api == "" || token == "") stop("COHORT_API and COHORT_TOKEN are not set: this is not running inside a cohort worker")
  hostport <- sub("^http://", "", api)
  host <- sub(":[0-9]+$", "", hostport)
  port <- as.integer(sub("^.*:", "", hostport))
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  head <- paste0(method, " ", path, " HTTP/1.1\r\n",
                 "Host: ", hostport, "\r\n",
                 "Authorization: Bearer ", token, "\r\n",
                 "X-Cohort-Worker: ", Sys.getenv("CDSW_ENGINE_ID", "client"), "\r\n",
                 if (!is.null(item)) paste0("X-Cohort-Item: ", format(item, scientific = FALSE), "\r\n") else "",
                 "Content-Length: ", length(body), "\r\n",
                 "Connection: close\r\n\r\n")
  con <- socketConnection(host, port, blocking = TRUE, open = "r+b", timeout = timeout)
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
  if (length(split) == 0) stop("cohort: the session sent a malformed answer to ", method, " ", path)
  headers <- rawToChar(response[seq_len(split - 1)])
  status <- as.integer(strsplit(headers, " ", fixed = TRUE)[[1]][2])
  payload <- if (split + 4 <= length(response)) response[(split + 4):length(response)] else raw(0)
  if (status >= 400) {
    message <- rawToChar(payload)
    parsed <- tryCatch(.cohort_json_read(message), error = function(e) NULL)
    if (is.list(parsed) && !is.null(parsed$error)) message <- parsed$error
    stop(sprintf("cohort: the session refused %s %s (%d): %s", method, path, status, message), call. = FALSE)
  }
  payload
}

.cohort_path <- function(...) {
  paste0("/", paste(vapply(c(...), function(p) utils::URLencode(p, reserved = TRUE), ""), collapse = "/"))
}

# Any key (a URL, say) travels as a query parameter.
.cohort_key_path <- function(key) {
  paste0("/v1/results?key=", utils::URLencode(key, reserved = TRUE))
}

.cohort_call <- function(method, path, value = NULL, item = NULL, send = !is.null(value)) {
  body <- if (send) .cohort_json_write(value) else raw(0)
  payload <- .cohort_http(method, path, body, item)
  if (length(payload) == 0) NULL else .cohort_json_read(rawToChar(payload))
}

.cohort_env <- new.env()

# Calls fn(item) for every item of the queue until it is closed and empty. item is a list with
# id, attempt and value. An error in fn fails that item with its message; the loop goes on.
# R runs one thing at a time, so heartbeats go out between items: an item that takes longer than
# the queue's lease (30 s by default) needs a queue declared with a longer leaseTime.
cohort_for_each <- function(queue, fn, batch = 1) {
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
    r <- .cohort_call("POST", paste0(path, "/take"), list(max = batch, wait_ms = 30000, ack = finished))
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
