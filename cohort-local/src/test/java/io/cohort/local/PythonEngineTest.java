package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * python3 code runs as in the reference's engines: code from an indented triple-quoted string runs,
 * '!' lines are shell commands, and magics work where IPython is installed (Debian's
 * /usr/bin/python3 with python3-ipython, which scripts/prerequisites installs).
 */
class PythonEngineTest {
    static final String DEBIAN_PYTHON = "/usr/bin/python3";
    @TempDir
    Path home;
    Fixtures.Console console = new Fixtures.Console();

    private List<String> run(String python, String code) {
        try (Session session = Session.open(Fixtures.options(home, console).setting("kernel.python3", python).build())) {
            List<Worker> ws = session.launch(LaunchRequest.of(1, 0.5, 0.5, Program.code(Kernel.PYTHON3, code)));
            AwaitResult r = session.await(ws, true, Duration.ofSeconds(120));
            assertThat(r.failures()).as("failures; output: %s", session.output(ws.get(0))).isEmpty();
            return session.output(ws.get(0)).stream().map(OutputLine::text).toList();
        }
    }

    @Test
    void codeFromAnIndentedTripleQuotedStringRuns() {
        String code = """

                    import os
                    for i in range(2):
                        print("worker", os.environ["CDSW_ENGINE_ID"], i)
                """;
        assertThat(run("python3", code)).containsExactly("worker w1 0", "worker w1 1");
    }

    @Test
    void codeOfOnlyShellLinesIsAShellScriptAndNeedsNoIPython() {
        assertThat(run("python3", "\n    !echo one $CDSW_ENGINE_ID\n    !echo two\n")).containsExactly("one w1", "two");
    }

    @Test
    void codeThatStartsWithAShellLineIsStillPythonCode() {
        assertThat(run("python3", "!echo a $CDSW_ENGINE_ID\n!echo b")).containsExactly("a w1", "b");
        assertThat(run(DEBIAN_PYTHON, "!echo first\nimport os\nprint('then python', os.environ['CDSW_ENGINE_ID'])"))
                .containsExactly("first", "then python w1");
    }

    @Test
    void inTheOtherKernelsCodeOfShellLinesIsAShellScript() {
        Program p = Program.code("!echo one\n  !echo two");
        assertThat(p.kernel()).isEqualTo(Kernel.SHELL);
        assertThat(p.code()).isEqualTo("echo one\necho two\n");
        assertThat(Program.code(Kernel.R, "!ls -d /").code()).isEqualTo("ls -d /\n");
    }

    @Test
    void shellLinesAndMagicsRunInIPython() {
        assertThat(Files.isExecutable(Path.of(DEBIAN_PYTHON))).as("Debian's python3 (scripts/prerequisites)").isTrue();
        String code = """
                    x = 6 * 7
                    !echo shell says $CDSW_ENGINE_ID
                    files = !echo captured
                    print("python says", x, files[0])
                    %env GREETING=hi
                    import os; print(os.environ["GREETING"])
                """;
        assertThat(run(DEBIAN_PYTHON, code)).containsExactly("shell says w1", "python says 42 captured", "env: GREETING=hi", "hi");
    }

    @Test
    void withoutIPythonShellLinesInPythonCodeAreRefusedAtLaunchWithTheFix() throws Exception {
        // A python3 that cannot import IPython: a virtual environment without system packages.
        Path venv = home.resolve("venv");
        Process p = new ProcessBuilder(DEBIAN_PYTHON, "-m", "venv", "--without-pip", venv.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        String python = venv.resolve("bin/python3").toString();
        try (Session session = Session.open(Fixtures.options(home, console).setting("kernel.python3", python).build())) {
            assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.5, 0.5, Program.code(Kernel.PYTHON3, "x = 1\n!echo hi"))))
                    .isInstanceOf(CohortException.class)
                    .hasMessageContaining("runs in IPython")
                    .hasMessageContaining("apt-get install python3-ipython");
            assertThat(session.list()).isEmpty();
        }
    }
}
