# A worker of the network example: connects to the session, says hello, prints the reply.
master <- Sys.getenv("CML_MASTER_IP")
port <- as.integer(Sys.getenv("COHORT_DEMO_PORT", "6000"))
con <- socketConnection(host = master, port = port, blocking = TRUE, open = "r+")
writeLines(sprintf("hello from %s (r) at %s", Sys.getenv("CDSW_ENGINE_ID"), Sys.getenv("CDSW_IP_ADDRESS")), con)
cat(paste("master replied:", readLines(con, n = 1)), "\n", sep = "")
close(con)
