package io.cohort.cli.r;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The R face: real Rscript processes run as `bin/cohort r` runs them (clients/r/profile.R), and
 * start their session (`cohort serve`) on their first call.
 */
class RClientTest {
    @TempDir
    Path dir;

    @Test
    void theReferencesHelloWorldRunsUnchangedAndItsOutputIsInRsConsole() throws Exception {
        RScript r = new RScript(dir).file("hello.R", """
                library("cdsw")
                workers <- launch.workers(n=2, cpu=0.2, memory=0.5, env="", code="print('Hello from a CDSW Worker')")
                await.workers(workers)
                """);

        RScript.Result result = r.run("hello.R", 180);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).as("%s", result)
                .contains("[w1] [1] \"Hello from a CDSW Worker\"", "[w2] [1] \"Hello from a CDSW Worker\"");
    }

    @Test
    void aGroupFromRMeetsAtItsRendezvousAndItsHandleAwaitsOnlyItsMembers() throws Exception {
        RScript r = new RScript(dir).file("group.R", """
                library("cdsw")
                other <- launch.workers(1, 0.2, 0.2, kernel = "shell", code = "sleep 300")
                g <- cohort_launch_group("pair", list(
                  list(role = "chief", n = 1, cpu = 0.2, memory = 0.3, code = "r <- cohort_rendezvous(); cat('member', Sys.getenv('RANK'), 'of', r$size, Sys.getenv('TF_CONFIG'), '\\n')"),
                  list(role = "worker", n = 1, cpu = 0.2, memory = 0.3, code = "r <- cohort_rendezvous(); cat('member', Sys.getenv('RANK'), 'of', r$size, Sys.getenv('TF_CONFIG'), '\\n')")))
                done <- cohort_await_group("pair", timeout_seconds = 120)
                cat("group done:", length(done$workers), "failures:", length(done$failures), "\n")
                cat("other still:", list.workers()[[1]]$status, "\n")
                cat("group size:", cohort_group("pair")$size, "\n")
                """);

        RScript.Result result = r.run("group.R", 180);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).as("%s", result)
                .anyMatch(l -> l.startsWith("[w2] member 0 of 2 {\"cluster\":") && l.contains("\"task\":{\"type\":\"chief\",\"index\":0}"))
                .anyMatch(l -> l.startsWith("[w3] member 1 of 2 {\"cluster\":") && l.contains("\"task\":{\"type\":\"worker\",\"index\":0}"))
                .contains("group done: 2 failures: 0 ", "other still: running ", "group size: 2 ");
    }

    @Test
    void theReferencesNetworkExampleInRRunsUnchanged() throws Exception {
        // The reference's master.r and worker.r; only the port differs (6000 may be taken on a shared machine).
        String port = Integer.toString(RScript.freePort());
        RScript r = new RScript(dir).file("master.r", """
                # master.r
                library("cdsw")

                # Launch two workers that run worker.r, then accept one connection from each.
                workers <- launch.workers(n=2, cpu=0.2, memory=0.5, env="", script="worker.r")

                for(i in c(1,2)) {
                  # Receive a message from each worker and return a response.
                  con <- socketConnection(host="0.0.0.0", port = 6000, blocking=TRUE, server=TRUE, open="r+")
                  data <- readLines(con, 1)
                  print(paste("Server received:", data))
                  writeLines("Hello from master!", con)
                  close(con)
                }
                """.replace("6000", port)).file("worker.r", """
                # worker.r
                print(Sys.getenv("CDSW_MASTER_IP"))
                con <- socketConnection(host=Sys.getenv("CDSW_MASTER_IP"), port = 6000, blocking=TRUE, server=FALSE, open="r+")
                write_resp <- writeLines("Hello from Worker", con)
                server_resp <- readLines(con, 1)
                print(paste("Worker received: ", server_resp))
                close(con)
                """.replace("6000", port));

        RScript.Result result = r.run("master.r", 180);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines().stream().filter(l -> l.equals("[1] \"Server received: Hello from Worker\"")))
                .as("%s", result).hasSize(2);
    }

    @Test
    void returnShapesStopAwaitWithoutLimitNumbersAsStringsAndPeersInsideAWorker() throws Exception {
        RScript r = new RScript(dir).file("shapes.R", """
                say <- function(...) cat(..., "\\n")
                say("engine", Sys.getenv("CDSW_ENGINE_ID"), Sys.getenv("CDSW_ENGINE_TYPE"), Sys.getenv("CDSW_APP_PORT"),
                    Sys.getenv("CDSW_READONLY_PORT"), Sys.getenv("CDSW_PUBLIC_PORT"), Sys.getenv("CDSW_DOMAIN"))
                ws <- launch.workers(n = "2", cpu = "0.2", memory = "0.3", kernel = "shell", code = "echo hi $CDSW_ENGINE_ID")
                say("launched", length(ws), ws[[1]]$id, ws[[2]]$id, ws[[1]]$session_id == Sys.getenv("CDSW_ENGINE_ID"))
                say("fields", all(c("id", "status", "ip_address", "app_url", "created_at", "cpu", "memory", "kernel") %in% names(ws[[1]])))
                r <- await.workers(ws, timeout_seconds = "60")
                say("await", names(r), length(r$workers), length(r$failures), r$workers[[1]]$status, r$workers[[2]]$exit_code)

                peer <- launch.workers(1, 0.2, 0.3, code = paste(
                  'source(Sys.getenv("COHORT_R_CLIENT"))',
                  'for (p in list.workers()) cat("peer", p$id, p$status, "\\\\n")',
                  'cat("type", Sys.getenv("CDSW_ENGINE_TYPE"), Sys.getenv("CDSW_ENGINE_ID"), "\\\\n")', sep = "\\n"))
                r <- await.workers(peer[[1]]$id)
                say("peer-await", length(r$workers), length(r$failures))

                s <- launch.workers(1, 0.2, 0.2, kernel = "shell", code = "sleep 300")
                r <- await.workers(s, wait_for_completion = FALSE)
                say("running", r$workers[[1]]$status)
                st <- stop.workers(s[[1]])
                say("stop", length(st), st[[1]]$status_code, st[[1]]$id, st[[1]]$status)
                st <- stop.workers("w1")
                say("stop-ended", st[[1]]$status_code, st[[1]]$id, st[[1]]$status)

                z <- launch.workers(1, 0.2, 0.2, kernel = "shell", code = "sleep 3")
                options(cohort.http_timeout = 1)  # what an ordinary request waits; an await without limit must not
                r <- await.workers(z, timeout_seconds = 0)
                options(cohort.http_timeout = 90)
                say("await0", length(r$workers), length(r$failures), r$workers[[1]]$status)

                r <- await.workers()
                say("await-all", length(r$workers) + length(r$failures))
                say("list", vapply(list.workers(), function(w) w$id, ""))
                all <- stop.workers()
                say("stop-all", length(all), all(vapply(all, function(x) x$status_code, 0L) == 200L))

                refused <- function(expr) tryCatch({ expr; "no error" }, error = function(e) conditionMessage(e))
                say("error-n:", refused(launch.workers(n = 0, cpu = 0.2, memory = 0.2, code = "1")))
                say("error-cpu:", refused(launch.workers(n = 1, cpu = "lots", memory = 0.2, code = "1")))
                say("error-kernel:", refused(launch.workers(n = 1, cpu = 0.2, memory = 0.2, kernel = "cobol", code = "1")))
                say("error-memory:", refused(launch.workers(n = 1, cpu = 0.2, memory = 100000, code = "1")))
                say("error-env:", refused(launch.workers(n = 1, cpu = 0.2, memory = 0.2, code = "1", env = list("x"))))

                warned <- character(0)
                extra <- withCallingHandlers(
                  launch.workers(1, 0.2, 0.2, kernel = "shell", code = "true", name = "probe", resource_profile_id = 3),
                  warning = function(w) { warned <<- c(warned, conditionMessage(w)); invokeRestart("muffleWarning") })
                say("warned:", warned, "launched", length(extra))
                """);

        RScript.Result result = r.run("shapes.R", 240);

        assertThat(result.exitCode()).as("%s", result).isZero();
        List<String> lines = result.lines();
        String engine = lines.stream().filter(l -> l.startsWith("engine ")).findFirst().orElseThrow();
        String sessionId = engine.split(" ")[1];
        assertThat(engine).as("%s", result).isEqualTo("engine " + sessionId + " console 8080 8000 8100 localhost ");
        assertThat(lines).as("%s", result).contains(
                "launched 2 w1 w2 TRUE ",
                "fields TRUE ",
                "await workers failures 2 0 succeeded 0 ",
                "[w1] hi w1",
                "peer-await 1 0 ",
                "[w3] peer w1 succeeded ",
                "[w3] peer w2 succeeded ",
                "[w3] peer w3 running ",
                "[w3] type worker w3 ",
                "running running ",
                "stop 1 200 w4 stopped ",
                "stop-ended 200 w1 succeeded ",
                "await0 1 0 succeeded ",
                "await-all 5 ",
                "list w1 w2 w3 w4 w5 ",
                "stop-all 5 TRUE ",
                "warned: launch.workers: cohort ignores the arguments name, resource_profile_id launched 1 ");
        assertThat(line(lines, "error-n:")).contains("n").doesNotContain("HTTP", "400");
        assertThat(line(lines, "error-cpu:")).contains("cpu").contains("lots").doesNotContain("HTTP", "400");
        assertThat(line(lines, "error-kernel:")).contains("kernel").contains("cobol");
        assertThat(line(lines, "error-memory:")).contains("memory").doesNotContain("HTTP", "409");
        assertThat(line(lines, "error-env:")).contains("env must be a named list");
    }

    @Test
    void killingRWithSigkillLeavesNoWorkerAndNoSessionRunning() throws Exception {
        RScript r = new RScript(dir).file("killed.R", """
                workers <- launch.workers(n = 2, cpu = 0.2, memory = 0.2, kernel = "shell", code = "sleep 600")
                r <- await.workers(workers, wait_for_completion = FALSE)
                cat("ready", Sys.getenv("CDSW_ENGINE_ID"), length(r$workers), "\\n")
                Sys.sleep(600)
                """);
        Process p = r.start("killed.R");
        String sessionId;
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> r.stdout().contains("ready ") || !p.isAlive());
            String ready = r.stdout().lines().filter(l -> l.startsWith("ready ")).findFirst()
                    .orElseThrow(() -> new AssertionError("R ended early:\n" + r.stdout() + "\n" + r.stderr()));
            assertThat(ready).endsWith(" 2 ");
            sessionId = ready.split(" ")[1];
            assertThat(io.cohort.cli.Processes.ofServedSession(sessionId)).as("the session's processes while R runs").hasSizeGreaterThanOrEqualTo(3);
        } finally {
            p.destroyForcibly();  // SIGKILL: R runs no finalizer
            p.waitFor(30, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(io.cohort.cli.Processes.ofServedSession(sessionId)).as("processes of session %s", sessionId).isEmpty());
    }

    @Test
    void anotherRProcessAttachesWithCohortSession() throws Exception {
        RScript r = new RScript(dir).file("attach.R", """
                w <- launch.workers(1, 0.2, 0.2, kernel = "shell", code = "true")
                await.workers(w)
                Sys.setenv(COHORT_SESSION = cohort_session()$directory)
                out <- system2("Rscript", c("-e", shQuote("cat('attached', Sys.getenv('CDSW_ENGINE_ID'), length(list.workers()), '\\\\n')")),
                               stdout = TRUE)
                cat(out, "\\n")
                cat("own", Sys.getenv("CDSW_ENGINE_ID"), "\\n")
                """);

        RScript.Result result = r.run("attach.R", 180);

        assertThat(result.exitCode()).as("%s", result).isZero();
        String own = line(result.lines(), "own ");
        assertThat(result.lines()).as("%s", result).contains("attached " + own.split(" ")[1] + " 1  ");
    }

    @Test
    void withoutACohortCommandTheErrorNamesTheFix() throws Exception {
        RScript r = new RScript(dir).file("none.R", "launch.workers(1, 0.2, 0.2, code = '1')\n");
        r.env.remove("COHORT_COMMAND");
        r.env("PATH", "/usr/bin:/bin");

        RScript.Result result = r.run("none.R", 60);

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("the `cohort` command is not on the PATH", "COHORT_COMMAND", "cohort r script.R");
    }

    @Test
    void aSessionThatCannotStartIsAClearError() throws Exception {
        RScript r = new RScript(dir).file("broken.R", "launch.workers(1, 0.2, 0.2, code = '1')\n").env("COHORT_COMMAND", "false");

        RScript.Result result = r.run("broken.R", 60);

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("the session did not start: `false serve` ended with exit code 1");
    }

    @Test
    void thePackageInstallsWithRCmdInstallAndLaunchesWorkers() throws Exception {
        Path library = Files.createDirectory(dir.resolve("library"));
        Process install = new ProcessBuilder("R", "CMD", "INSTALL", "--no-test-load", "-l", library.toString(),
                RScript.CLIENTS.resolve("r").toString()).redirectErrorStream(true).start();
        String log = new String(install.getInputStream().readAllBytes());
        assertThat(install.waitFor()).as(log).isZero();

        RScript r = new RScript(dir).file("installed.R", """
                library(cohort)
                w <- launch.workers(n = 1, cpu = 0.2, memory = 0.2, code = "cat('from the package\\\\n')")
                r <- await.workers(w)
                cat("done", length(r$workers), "\\n")
                """);
        r.env.remove("R_PROFILE_USER");
        r.env("R_LIBS", library.toString());

        RScript.Result result = r.run("installed.R", 180);

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.lines()).as("%s", result).contains("[w1] from the package", "done 1 ");
    }

    private static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no line " + prefix + " in " + lines));
    }
}
