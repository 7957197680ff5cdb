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
  user <- if (file.exists(".Rprofile")) ".Rprofile" else path.expand("~/.Rprofile")
  if (file.exists(user) && normalizePath(user) != normalizePath(Sys.getenv("R_PROFILE_USER"))) {
    sys.source(user, envir = globalenv())
  }
})
