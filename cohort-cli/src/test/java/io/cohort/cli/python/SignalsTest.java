package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Signals to a Python session. SIGKILL while its workers run leaves nothing: {@code cohort serve}
 * reads end of file on the stdin pipe only the Python process held, and stops every worker. Ctrl-C
 * (SIGINT to the terminal's process group) interrupts the Python code, not the session.
 */
class SignalsTest extends PythonSessions {
    private static final Duration GONE_WITHIN = Duration.ofSeconds(15);

    @Test
    void sigkillOfPythonLeavesNoWorkerAndNoSession() throws Exception {
        write("session.py", """
                import os, sys, time, cdsw
                shells = cdsw.launch_workers(n=2, cpu=0.2, memory=0.25, code="!sleep 600")
                python = cdsw.launch_workers(n=1, cpu=0.2, memory=0.25, code="import time\\nprint('napping', flush=True)\\ntime.sleep(600)")
                cdsw.await_workers(shells + python, wait_for_completion=False)
                print("READY", os.environ["CDSW_ENGINE_ID"], flush=True)
                sys.stdin.read()  # until the test kills us
                """);
        PythonProcess p = start("session.py", Map.of());
        Matcher ready = p.awaitOutput(Pattern.compile("READY (\\S+)"), RUN_WITHIN);
        String session = ready.group(1);
        // The interpreter, cohort serve, and three workers (and the shells' sleeps).
        assertThat(PythonProcess.processesOf(session)).as("processes of session %s; %s", session, p.describe()).hasSizeGreaterThanOrEqualTo(5);

        p.kill();

        await().atMost(GONE_WITHIN).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(PythonProcess.processesOf(session)).as("survivors of session %s", session).isEmpty());
    }

    @Test
    void ctrlCInterruptsAnAwaitButNotTheSession() throws Exception {
        write("session.py", """
                import os, sys, cdsw
                ws = cdsw.launch_workers(n=1, cpu=0.2, memory=0.25, code="!sleep 600")
                cdsw.await_workers(ws, wait_for_completion=False)
                try:
                    print("READY", flush=True)
                    cdsw.await_workers(ws, timeout_seconds=0)
                except KeyboardInterrupt:
                    print("interrupted", flush=True)
                print("after", [w["status"] for w in cdsw.list_workers()], flush=True)
                print("stopped", [r["status"] for r in cdsw.stop_workers()], flush=True)
                """);
        // The interpreter leads a process group of its own, as in a terminal, with cohort serve below it.
        PythonProcess p = start("session.py", Map.of("COHORT_TEST_PROCESS_GROUP", "own"));
        p.awaitOutput(Pattern.compile("READY"), RUN_WITHIN);

        new ProcessBuilder("kill", "-INT", "--", "-" + p.pid()).inheritIO().start().waitFor();

        assertThat(p.awaitExit(RUN_WITHIN)).as("python's exit code; %s", p.describe()).isZero();
        assertThat(p.out()).contains("interrupted", "after ['running']", "stopped ['stopped']");
    }
}
