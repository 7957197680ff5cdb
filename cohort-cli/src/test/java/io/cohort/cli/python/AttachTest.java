package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A second Python process attaches to a running session with COHORT_SESSION (its id, found under
 * COHORT_HOME): its launches run in that session, their output is printed by the attached process,
 * and its exit does not close the session.
 */
class AttachTest extends PythonSessions {

    @Test
    void anAttachedProcessLaunchesInTheSessionPrintsTheOutputAndLeavesTheSessionOpen() throws Exception {
        write("owner.py", """
                import os, sys, cdsw
                cdsw.list_workers()  # starts the session
                print("SESSION", os.environ["CDSW_ENGINE_ID"], flush=True)
                sys.stdin.readline()  # until the attached process is done
                print("owner sees", [(w["id"], w["status"]) for w in cdsw.list_workers()], flush=True)
                """);
        PythonProcess owner = start("owner.py", Map.of());
        String session = owner.awaitOutput(Pattern.compile("SESSION (\\S+)"), RUN_WITHIN).group(1);

        write("attached.py", """
                import os, cdsw
                ws = cdsw.launch_workers(1, 0.2, 0.25, code="print('from the attached launch')")
                r = cdsw.await_workers(ws)
                print("attached to", os.environ["CDSW_ENGINE_ID"], [w["status"] for w in r["workers"]])
                """);
        PythonProcess attached = start("attached.py", Map.of("COHORT_SESSION", session));
        assertThat(attached.awaitExit(RUN_WITHIN)).as("the attached process's exit code; %s", attached.describe()).isZero();
        assertThat(attached.out()).contains("[w1] from the attached launch", "attached to " + session + " ['succeeded']");

        typeLine(owner);
        assertThat(owner.awaitExit(RUN_WITHIN)).as("the owner's exit code; %s", owner.describe()).isZero();
        assertThat(owner.out()).contains("owner sees [('w1', 'succeeded')]");
    }

    private static void typeLine(PythonProcess p) throws Exception {
        OutputStream in = p.stdin();
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
    }
}
