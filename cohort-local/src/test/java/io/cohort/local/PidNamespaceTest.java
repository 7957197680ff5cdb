package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.worker.internal.ProcTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers in pid namespaces of their own, as without writable cgroups (here forced by
 * {@code local.cgroups=off}): a child that leaves the worker's session and clears its environment
 * ends with the worker, however it ends; the program still gets a stop's SIGTERM, keeps its exit
 * code and output, and sees its own processes in /proc.
 * The setting's values: {@link LocalSettingsTest}.
 */
class PidNamespaceTest {
    @TempDir
    Path home;
    Fixtures.Console console = new Fixtures.Console();
    Session session;
    private final String token = Long.toString(ThreadLocalRandom.current().nextLong(100_000_000L, 1_000_000_000L));

    @BeforeEach
    void open() {
        session = Session.open(Fixtures.options(home, console).setting("local.cgroups", "off").build());
    }

    @AfterEach
    void close() {
        session.close();
        escapees().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void aChildThatLeftTheWorkersSessionAndEnvironmentEndsWhenTheWorkerEnds() throws Exception {
        Path go = home.resolve("go");
        Worker w = launch(escaping("echo started; while [ ! -e " + go + " ]; do sleep 0.05; done"));
        awaitNamespaceOrSkip(w);
        await().atMost(Duration.ofSeconds(20)).until(() -> escapees().size() == 2);

        Files.createFile(go);
        Worker end = session.await(List.of(w), true, Duration.ofSeconds(30)).workers().get(0);

        assertThat(end.status()).isEqualTo(Status.SUCCEEDED);
        assertThat(Fixtures.describe(escapees())).as("escaped children left running").isEmpty();
    }

    @Test
    void stopEndsAChildThatLeftTheWorkersSessionAndEnvironment() {
        Worker w = launch(escaping("echo started; wait"));
        awaitNamespaceOrSkip(w);
        await().atMost(Duration.ofSeconds(20)).until(() -> escapees().size() == 2);

        List<Worker> stopped = session.stop(List.of(w));

        assertThat(stopped).extracting(Worker::status).containsExactly(Status.STOPPED);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(Fixtures.describe(escapees())).as("escaped children left running").isEmpty());
    }

    @Test
    void theProgramGetsTheStopsSigtermAndItsOutputHasNoWordFromTheNamespacesInit() {
        // In the background, so that the program's own shell has no killed foreground child to report ("Terminated").
        Worker polite = launch("trap 'echo got TERM; exit 7' TERM; echo ready; sleep 300 & wait");
        Worker plain = launch("echo ready; exec sleep 300");
        awaitNamespaceOrSkip(polite);
        await().atMost(Duration.ofSeconds(20)).until(() -> session.output(polite).size() == 1 && session.output(plain).size() == 1);

        long start = System.nanoTime();
        session.stop(List.of(polite, plain));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(session.output(polite)).extracting(OutputLine::text).containsExactly("ready", "got TERM");
        assertThat(session.get(polite.id()).exitCode()).isEqualTo(7);
        // A program without a handler dies of the SIGTERM at once, as outside a namespace (it is not the namespace's pid 1).
        assertThat(session.output(plain)).extracting(OutputLine::text).containsExactly("ready");
        assertThat(session.get(plain.id()).exitCode()).isEqualTo(128 + 15);
        assertThat(took).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void exitCodesAndErrorOutputReadAsWithoutANamespace() {
        Worker failing = launch("echo oops >&2; exit 3");
        awaitNamespaceOrSkip(failing);

        session.await(List.of(failing), true, Duration.ofSeconds(30));

        assertThat(session.get(failing.id()).exitCode()).isEqualTo(3);
        assertThat(session.output(failing)).containsExactly(new OutputLine(failing.id(), OutputLine.Stream.STDERR, "oops"));
    }

    @Test
    void theWorkerSeesItsOwnProcessesInProc() {
        // $$ is a pid of the namespace; /proc is the namespace's own, so it names the same process.
        Worker w = launch("echo \"pid $$ $(tr '\\0' ' ' < /proc/$$/cmdline)\"; echo \"init $(tr '\\0' ' ' < /proc/1/cmdline)\"");
        awaitNamespaceOrSkip(w);

        session.await(List.of(w), true, Duration.ofSeconds(30));

        List<String> out = session.output(w).stream().map(OutputLine::text).toList();
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).startsWith("pid 2 ").contains("echo \"pid $$");
        assertThat(out.get(1)).startsWith("init /bin/sh -c ");
    }

    private Worker launch(String script) {
        return session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell(script))).get(0);
    }

    /** Starts a child that leaves the worker's process session and environment, then runs {@code rest}. */
    private String escaping(String rest) {
        return "setsid env -i sh -c 'sleep 600." + token + " & wait' & " + rest;
    }

    /** The escaped children: {@code sh -c 'sleep 600.TOKEN & wait'} and its sleep. */
    private List<Long> escapees() {
        List<String> argvs = List.of("sh\0-c\0sleep 600." + token + " & wait\0", "sleep\0" + "600." + token + "\0");
        return ProcTable.read().stream().map(ProcTable.Entry::pid).filter(pid -> argvs.contains(cmdline(pid))).toList();
    }

    /** Skips where this host makes no pid namespace (outside CI, which must prove it). */
    private void awaitNamespaceOrSkip(Worker w) {
        List<String> notes = session.get(w.id()).notes();
        if (notes.stream().noneMatch(n -> n.startsWith("tree held by a pid namespace"))) {
            String why = "no pid namespace on this host; the worker's notes: " + notes;
            assertThat(System.getenv("CI")).as(why).isNotEqualTo("true");
            Assumptions.abort(why);
        }
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }
}
