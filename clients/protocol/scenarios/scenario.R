# The R client through the recorded exchanges (clients/protocol/exchanges, "r" in their clients).
# Run by cohort-worker's ClientsReplayTest against a replay server, with COHORT_API, COHORT_TOKEN,
# CDSW_ENGINE_ID=w1 and COHORT_R_CLIENT set. Exits 0 when the client made every request as recorded
# and understood every answer.
source(Sys.getenv("COHORT_R_CLIENT"))

check <- function(ok, what) if (!isTRUE(ok)) stop("scenario: ", what, call. = FALSE)
refused <- function(expr, status, text) {
  e <- tryCatch({ expr; NULL }, cohort_error = function(e) e)
  check(!is.null(e), paste("expected a refusal with", status))
  check(identical(e$status, as.integer(status)) && grepl(text, conditionMessage(e), fixed = TRUE),
        paste("refusal:", e$status, conditionMessage(e)))
}

check(cohort_put("params", list(lr = 0.1)), "put")
check(cohort_put("params", list(lr = 0.2), key = "lr=0.2"), "put with a key")
check(!cohort_put("params", list(lr = 0.2), key = "lr=0.2"), "put with a key seen before")
refused(cohort_put("params", list(lr = 0.4)), 409, "queue 'params' is closed")

seen <- c()
cohort_for_each("params", function(item) {
  seen <<- c(seen, item$id)
  check(item$attempt == 1, "attempt")
  if (item$id == 1) {
    check(identical(item$value, list(lr = 0.1)), "item 1's value")
    cohort_result_put("lr=0.1", list(score = 0.93))
    cohort_snapshot_save("model-1", charToRaw("weights-1"))
  } else if (item$id == 2) {
    cohort_result_put("\u03bb=0.2", list(score = 0.88, note = "\u00e9\U0001F600"))
  } else if (item$id == 3) {
    # R's numbers are doubles: an integer beyond 2^53 arrives rounded.
    check(abs(item$value$seed / 123456789012345678901234567890 - 1) < 1e-12, "item 3's seed")
    cohort_result_put("lr=0.3", list(score = 0.91))
  }
})
check(identical(seen, c(1, 2, 3)), paste("items seen:", paste(seen, collapse = ",")))

check(identical(cohort_result_get("lr=0.1"), list(score = 0.93)), "result")
refused(cohort_result_get("nothing"), 404, "no result under key 'nothing'")
check(identical(rawToChar(cohort_snapshot_read("model-1")), "weights-1"), "snapshot")
w <- cohort_workers()
check(length(w) == 1 && w[[1]]$id == "w1" && w[[1]]$status == "running" && w[[1]]$ip_address == "10.0.0.1",
      "workers")
cohort_fail("params", 1, "diverged")
refused(cohort_fail("params", 99, "diverged"), 404, "no item with id 99")
cat("scenario passed\n")
