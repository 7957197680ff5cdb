package io.cohort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cohort run} launches, streams, waits, and answers with its exit code. */
class MainTest {
    @TempDir
    Path home;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void useTempHome() {
        System.setProperty("cohort.home", home.toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty("cohort.home");
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void runStreamsOutputAndSucceeds() {
        int code = run("run", "-n", "2", "--cpu", "0.2", "--memory", "0.2", "--env", "WHO=cli", "--", "echo", "hi", "from", "$WHO", "$CDSW_ENGINE_ID");

        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("[w1] hi from cli w1", "[w2] hi from cli w2");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cohort: 2 of 2 workers succeeded");
    }

    @Test
    void runExitsNonZeroWhenAWorkerFails() {
        int code = run("run", "-n", "2", "--cpu", "0.2", "--memory", "0.2", "--code", "!test $CDSW_ENGINE_ID = w1");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("1 of 2 workers succeeded", "w2 failed: exited with code 1");
    }

    @Test
    void aNegativeTimeoutIsRefusedBeforeAnyWorkerStarts() {
        int code = run("run", "--cpu", "0.2", "--memory", "0.2", "--timeout", "-1", "--", "echo", "ran");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--timeout takes seconds: 0 (no limit) or more, got -1.0");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("ran");
        assertThat(home.toFile().list()).isEmpty();
    }

    @Test
    void runStopsWorkersThatOutliveTheTimeout() {
        int code = run("run", "--cpu", "0.2", "--memory", "0.2", "--timeout", "0.5", "--", "sleep", "300");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("w1 stopped: stopped by the user");
    }

    @Test
    void badInputIsAUsageErrorNamingTheProblem() {
        assertThat(run("run", "-n", "0", "--", "true")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("n (number of workers) must be at least 1, got 0");
        assertThat(run("run", "--cpu", "lots", "--", "true")).isEqualTo(2);
        assertThat(run("run", "--memory", "0.1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("give exactly one of --script FILE, --code CODE or -- COMMAND");
        assertThat(run("launch")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'launch'");
    }

    @Test
    void aLaunchThatCannotStartIsReportedNotThrown() {
        assertThat(run("run", "--memory", "0.1", "--script", "missing.py")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("script 'missing.py' does not exist");
    }
}
