# cohort's R profile: `cohort r [SCRIPT args]` runs R (or Rscript) with R_PROFILE_USER pointing
# here, so that scripts written for the reference's workers API run unchanged, without installing
# the package. It attaches cohort's functions (R/cohort.R) as "cohort" on the search path, lets
# `library(cdsw)` / `require(cdsw)` (the reference's package) succeed, and then reads the user's
# own profile (.Rprofile here, else ~/.Rprofile), which R would otherwise have read.
local({
  here <- dirname(normalizePath(Sys.getenv("R_PROFILE_USER")))
  env <- attach(NULL, name = "cohort")
  sys.source(file.path(here, "R", "cohort.R"), envir = env)
  # The reference's package (and this one, already attached here) load as a no-op.
  ours <- function(name) is.character(name) && length(name) == 1 && name %in% c("cdsw", "cohort")
  env$library <- function(package, help, pos = 2, lib.loc = NULL, character.only = FALSE, ...) {
    name <- if (missing(package)) NULL else if (character.only) package else {
      p <- substitute(package); if (is.name(p)) as.character(p) else package }
    if (ours(name)) return(invisible(.packages()))
    call <- sys.call()
    call[[1]] <- quote(base::library)
    eval(call, parent.frame())
  }
  env$require <- function(package, lib.loc = NULL, quietly = FALSE, warn.conflicts, character.only = FALSE, ...) {
    name <- if (character.only) package else { p <- substitute(package); if (is.name(p)) as.character(p) else package }
    if (ours(name)) return(invisible(TRUE))
    call <- sys.call()
    call[[1]] <- quote(base::require)
    eval(call, parent.frame())
  }
  # socketConnection(server = TRUE) on all interfaces keeps listening between calls. Base R closes
  # its listening socket after each accepted connection, which resets every other connection
  # already waiting: in the reference's network example (accept one connection per worker, in a
  # loop) two workers that connect at once leave the second accept waiting for a worker whose
  # connection is gone. Here the port's listening socket stays open until R ends, so each call
  # accepts the next waiting connection.
  listeners <- new.env()
  env$socketConnection <- function(host = "localhost", port, server = FALSE, blocking = FALSE, open = "a+",
                                   encoding = getOption("encoding"), timeout = getOption("timeout"),
                                   options = getOption("socketOptions")) {
    if (isTRUE(server) && exists("serverSocket", baseenv()) && (missing(host) || host %in% c("0.0.0.0", "", "localhost"))) {
      key <- as.character(port)
      if (is.null(listeners[[key]])) listeners[[key]] <- serverSocket(port)
      return(socketAccept(listeners[[key]], blocking = blocking, open = open, encoding = encoding,
                          timeout = timeout, options = options))
    }
    call <- sys.call()
    call[[1]] <- quote(base::socketConnection)
    eval(call, parent.frame())
  }
  user <- if (file.exists(".Rprofile")) ".Rprofile" else path.expand("~/.Rprofile")
  if (file.exists(user) && normalizePath(user) != normalizePath(Sys.getenv("R_PROFILE_USER"))) {
    sys.source(user, envir = globalenv())
  }
})
