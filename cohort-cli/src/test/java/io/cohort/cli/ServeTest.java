package io.cohort.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.Json;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cohort serve} as another process, driven from here as a client would: attached, and with
 * {@code cohort ps|logs|stop}. It ends with whatever it is bound to, however that ends.
 */
class ServeTest {
    @TempDir
    Path home;
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void end() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private Process serve(String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcohort.home=" + home, "-Dcohort.stopGraceSeconds=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--print-connection"));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        started.add(p);
        return p;
    }

    private static JsonNode connection(Process serve) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("serve's first line").isNotNull().startsWith("{");
        // Keep reading its console, so it never blocks on a full pipe.
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
        drain.setDaemon(true);
        drain.start();
        return Json.MAPPER.readTree(line);
    }

    @Test
    void aServedSessionEndsWithItsStandardInputAndTakesItsWorkersWithIt() throws Exception {
        Process serve = serve("--stdin", "--id", "served1");
        JsonNode c = connection(serve);
        Path dir = Path.of(c.get("directory").asText());
        Path file = dir.resolve("connection.json");
        assertThat(c.get("id").asText()).isEqualTo("served1");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));

        try (Session attached = Session.attach(file)) {
            List<Worker> ws = attached.launch(LaunchRequest.of(2, 0.2, 0.2, Program.shell("echo up; sleep 600")));
            assertThat(ws).extracting(Worker::id).containsExactly("w1", "w2");
            assertThat(attached.await(ws, false, Duration.ofSeconds(30)).failures()).isEmpty();
            assertThat(Processes.withSession("served1")).isNotEmpty();
        }
        // Detaching left it running; the end of its standard input ends it.
        assertThat(serve.isAlive()).isTrue();
        serve.getOutputStream().close();

        assertThat(serve.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(serve.exitValue()).isZero();
        assertThat(Processes.withSession("served1")).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void aServedSessionBoundToAProcessEndsWhenThatProcessIsKilled() throws Exception {
        Process parent = new ProcessBuilder("sleep", "600").start();
        started.add(parent);
        Process serve = serve("--parent-pid", Long.toString(parent.pid()), "--id", "served2");
        JsonNode c = connection(serve);
        try (Session attached = Session.attach(Path.of(c.get("directory").asText()))) {
            List<Worker> ws = attached.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, "import time\ntime.sleep(600)")));
            assertThat(attached.await(ws, false, Duration.ofSeconds(30)).failures()).isEmpty();
        }

        parent.destroyForcibly();

        assertThat(serve.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> Processes.withSession("served2").isEmpty());
    }

    @Test
    void psLogsAndStopReachASessionStartedElsewhere() throws Exception {
        Process serve = serve("--stdin", "--id", "served3");
        JsonNode c = connection(serve);
        String dir = c.get("directory").asText();
        try (Session attached = Session.attach(Path.of(dir))) {
            attached.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("echo one; echo two >&2; sleep 600")));
            attached.await(List.of(), false, Duration.ofSeconds(30));

            String ps = run(List.of("ps", "--session", dir)).out;
            assertThat(ps).contains("session served3", "running", "w1", "echo one");

            await().atMost(Duration.ofSeconds(30)).until(() -> run(List.of("logs", "--session", dir, "w1")).out.contains("one"));
            Result logs = run(List.of("logs", "--session", dir, "w1"));
            assertThat(logs.out).isEqualTo("one\n");
            assertThat(logs.err).isEqualTo("two\n");

            Result stop = run(List.of("stop", "--session", dir, "w1"));
            assertThat(stop.code).isZero();
            assertThat(stop.out).isEqualTo("w1 stopped (stopped by the user)\n");
            assertThat(attached.get("w1").status()).isEqualTo(Status.STOPPED);
            // Following the log of a worker that has ended returns at once.
            assertThat(run(List.of("logs", "-f", "--session", dir, "w1")).out).isEqualTo("one\n");
            assertThat(run(List.of("logs", "--session", dir, "w7")).err).contains("no worker 'w7'");
        }
        serve.getOutputStream().close();
        assertThat(serve.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        Result gone = run(List.of("stop", "--session", dir, "--all"));
        assertThat(gone.code).isEqualTo(1);
        assertThat(gone.err).contains("no running session", "cohort ps");
    }

    @Test
    void attachGivesJShellOnARunningSessionAndExitOnlyDetaches() throws Exception {
        Process serve = serve("--stdin", "--id", "served4");
        String dir = connection(serve).get("directory").asText();
        Process shell = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "attach", "--session", dir)
                .redirectErrorStream(true).start();
        started.add(shell);
        try (var in = shell.getOutputStream()) {
            in.write(("""
                    var ws = launchWorkers(1, 0.2, 0.2, shell("echo attached-hello"));
                    System.out.println("reached " + awaitWorkers().workers().size());
                    /exit
                    """).getBytes(StandardCharsets.UTF_8));
        }
        String text = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(shell.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(text).contains("attached to session served4", "[w1] attached-hello", "reached 1");
        // The session goes on after the shell that attached to it has gone.
        assertThat(serve.isAlive()).isTrue();
        try (Session attached = Session.attach(Path.of(dir))) {
            assertThat(attached.list()).extracting(Worker::status).containsExactly(Status.SUCCEEDED);
        }
    }

    record Result(int code, String out, String err) {
    }

    private static Result run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
