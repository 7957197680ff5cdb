package io.cohort.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.QueueProgress;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Slurm backend against a real Slurm: the same calls as on local workers. Here with the default
 * agent (auto: the Python agent, as the test node has /usr/bin/python3); {@link JavaAgentTest} runs
 * the same tests with the Java agent.
 */
class SlurmBackendTest {
    @TempDir
    Path home;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    Session session;

    Session open() {
        return open(Map.of());
    }

    /** The agent's settings of this class's sessions. */
    Map<String, String> agentSettings() {
        return Map.of();
    }

    /** The command name of the agent's process, as /proc/PID/comm shows it. */
    String agentProcess() {
        return "python3";
    }

    Session open(Map<String, String> settings) {
        var b = TestSlurm.options(home).console(new PrintStream(console, true, StandardCharsets.UTF_8));
        agentSettings().forEach(b::setting);
        settings.forEach(b::setting);
        session = Session.open(b.build());
        return session;
    }

    String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @AfterEach
    void close() {
        if (session != null) {
            String id = session.id();
            session.close();
            assertThat(TestSlurm.liveJobs(id)).as("jobs left after the session closed").isEmpty();
        }
    }

    @Test
    void helloWorldOnFourWorkersWithOutputInTheSession() {
        Session s = open();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(4).cpu(0.25).memoryGb(0.25)
                .program(Program.code(io.cohort.Kernel.SHELL,
                        "echo \"hello from $CDSW_ENGINE_ID at $CDSW_IP_ADDRESS in job $SLURM_JOB_ID\"; echo to-stderr >&2"))
                .build());
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(2));
        assertThat(r.failures()).isEmpty();
        for (Worker w : r.workers()) {
            assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
            assertThat(w.exitCode()).isZero();
            assertThat(w.ipAddress()).startsWith("127.");
            String job = TestSlurm.jobId(w);
            // Two pipes: the order between stdout and stderr is not kept, as with local workers.
            assertThat(s.output(w)).extracting(OutputLine::text)
                    .containsExactlyInAnyOrder("hello from " + w.id() + " at " + w.ipAddress() + " in job " + job, "to-stderr");
            // The console is printed by its own thread: its last lines may follow the await by a moment.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(console())
                    .contains("[" + w.id() + "] hello from " + w.id(), "[" + w.id() + " err] to-stderr",
                            "[" + w.id() + "] -- succeeded"));
            assertThat(w.notes()).anySatisfy(n -> assertThat(n).contains("Slurm job " + job + ": 1 CPU (0.25 asked",
                    "--mem=256M"));
        }
        assertThat(r.workers().stream().map(Worker::ipAddress).distinct()).hasSize(4);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(TestSlurm.allJobs(s.id())).hasSize(4).allSatisfy(j -> assertThat(j).endsWith("COMPLETED")));
    }

    @Test
    void theProgramRunsUnderTheAgentOfTheSettingWithItsEnvironmentDirectoryAndNoStdin() {
        Session s = open();
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25).env(Map.of("GREETING", "it's \"quoted\""))
                .program(Program.shell("echo \"agent=$(cat /proc/$PPID/comm)\"; echo \"greeting=$GREETING\";"
                        + " echo \"pwd=$(pwd)\"; echo \"agentvars=$(env | grep -c '^COHORT_AGENT_')\";"
                        + " echo \"stdin=$(cat | wc -c)\"; echo \"leader=$(cut -d' ' -f6 /proc/$$/stat)/$$\"")).build()).get(0);
        AwaitResult r = s.await(List.of(w), true, Duration.ofMinutes(2));
        assertThat(r.failures()).as(s.output(w).toString()).isEmpty();
        List<String> lines = s.output(w).stream().map(OutputLine::text).toList();
        assertThat(lines).contains("agent=" + agentProcess(), "greeting=it's \"quoted\"", "agentvars=0", "stdin=0",
                "pwd=" + Path.of("").toAbsolutePath());
        // The program leads a session of its own, so that a stop reaches its whole tree.
        String leader = lines.stream().filter(l -> l.startsWith("leader=")).findFirst().orElseThrow().substring(7);
        assertThat(leader.split("/")[0]).isEqualTo(leader.split("/")[1]);
    }

    @Test
    void aGroupOnSlurmMeetsAtItsRendezvousWhereMasterAddrComesFromIt() {
        Session s = open();
        io.cohort.WorkerGroup g = s.launchGroup("pair", List.of(
                io.cohort.GroupRole.of("worker", LaunchRequest.builder().n(2).cpu(0.25).memoryGb(0.25)
                        .program(Program.code(io.cohort.Kernel.SHELL, "echo \"before: rank=$RANK size=$WORLD_SIZE"
                                + " master=${MASTER_ADDR:-unknown}\"; eval \"$(python3 -m cohort_workers rendezvous --env)\";"
                                + " echo \"after: master=$MASTER_ADDR local=$LOCAL_RANK\"")).build())));
        io.cohort.Rendezvous r = g.awaitReady(Duration.ofMinutes(2));
        AwaitResult done = g.await(true, Duration.ofMinutes(2));
        assertThat(done.failures()).isEmpty();
        assertThat(r.masterAddr()).isEqualTo(done.workers().get(0).ipAddress());
        for (Worker w : done.workers()) {
            // A node's address is known only once its job runs: MASTER_ADDR comes from the rendezvous.
            assertThat(s.output(w)).extracting(OutputLine::text).containsExactly(
                    "before: rank=" + w.rank() + " size=2 master=unknown", "after: master=" + r.masterAddr() + " local=0");
        }
    }

    @Test
    void aWorkerThatFailsIsFailedWithItsExitCodeAndAJavaWorkerRunsItsCode() {
        Session s = open();
        Worker bad = launch(s, 1, 0.5, 0.5, Program.shell("echo about to fail; exit 3")).get(0);
        Worker java = launch(s, 1, 1, 0.5, Program.code(io.cohort.Kernel.JAVA,
                "System.out.println(\"java says \" + System.getenv(\"CDSW_ENGINE_ID\"));")).get(0);
        AwaitResult r = s.await(List.of(bad, java), true, Duration.ofMinutes(2));
        assertThat(s.get(bad).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(bad).exitCode()).isEqualTo(3);
        assertThat(s.get(bad).reason()).isEqualTo("exited with code 3");
        assertThat(s.get(java).status()).as(s.output(java).toString()).isEqualTo(Status.SUCCEEDED);
        assertThat(s.output(java)).extracting(OutputLine::text).containsExactly("java says " + java.id());
        assertThat(r.failures()).extracting(Worker::id).containsExactly(bad.id());
        // Slurm's own accounting agrees: the agent exits with its program's code.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(TestSlurm.allJobs(s.id())).anySatisfy(j -> assertThat(j).endsWith("FAILED")));
    }

    @Test
    void aChattyWorkerLosesNoLineAndAHugeLineComesInPieces() {
        Session s = open();
        // 200,000 lines as fast as Python writes them, then one line of 2.5 MiB: more than the agent may
        // hold at once, so it must slow the program down rather than drop lines or run out of memory.
        Worker w = launch(s, 1, 1, 0.5, Program.code(io.cohort.Kernel.PYTHON3, String.join("\n",
                "import sys",
                "for i in range(200000): sys.stdout.write('line %d\\n' % i)",
                "sys.stdout.write('x' * (5 * 1024 * 512) + '\\n')"))).get(0);
        s.await(List.of(w), true, Duration.ofMinutes(3));
        assertThat(s.get(w).status()).as(s.get(w).reason()).isEqualTo(Status.SUCCEEDED);
        List<OutputLine> out = s.output(w);
        assertThat(out).hasSize(200_000 + 3);
        for (int i = 0; i < 200_000; i++) {
            if (!out.get(i).text().equals("line " + i)) {
                throw new AssertionError("line " + i + " is '" + out.get(i).text() + "': lines were lost or reordered");
            }
        }
        assertThat(out.subList(200_000, 200_003)).extracting(l -> l.text().length()).containsExactly(1 << 20, 1 << 20, 512 * 1024);
    }

    @Test
    void aWorkerWaitingInSlurmsQueueSaysWhyAndStopsBeforeItStarts() {
        Session s = open();
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Worker> busy = s.launch(LaunchRequest.builder().n(cpus).cpu(1).memoryGb(0.25)
                .program(Program.shell("echo started; exec sleep 600")).build());
        s.await(busy, false, Duration.ofMinutes(2));
        Worker waiting = launch(s, 1, 1, 0.25, Program.shell("echo should not run")).get(0);
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            Worker w = s.get(waiting);
            assertThat(w.status()).isEqualTo(Status.SCHEDULING);
            assertThat(w.reason()).contains("pending in Slurm's queue as job", "waiting for resources");
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(console()).contains("[" + waiting.id() + "] -- waiting: pending in Slurm's queue"));
        List<Worker> stopped = s.stop(List.of(waiting));
        assertThat(stopped.get(0).status()).isEqualTo(Status.STOPPED);
        assertThat(stopped.get(0).reason()).isEqualTo("stopped by the user");
        assertThat(s.output(waiting)).isEmpty();
        assertThat(TestSlurm.liveJobs(s.id())).hasSize(cpus).allSatisfy(j -> assertThat(j).endsWith("RUNNING"));
    }

    @Test
    void stopEndsTheWholeTreeOfARunningWorkerAndItsJob() {
        Session s = open();
        String marker = "cohort-slurm-stop-" + System.nanoTime();
        // A child that ignores SIGTERM, so only the agent's SIGKILL after the grace ends it.
        Worker w = launch(s, 1, 1, 0.25, Program.shell("bash -c 'trap \"\" TERM; exec -a " + marker + " sleep 600' &"
                + " echo started; wait")).get(0);
        await().atMost(Duration.ofMinutes(1)).until(() -> s.output(w).stream().anyMatch(l -> l.text().equals("started")));
        assertThat(processesNamed(marker)).hasSize(1);
        Worker after = s.stop(List.of(w)).get(0);
        assertThat(after.status()).isEqualTo(Status.STOPPED);
        assertThat(after.reason()).isEqualTo("stopped by the user");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(processesNamed(marker)).isEmpty());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(TestSlurm.liveJobs(s.id())).isEmpty());
    }

    @Test
    void workersStoppedWhileTheirSbatchIsQueuedOrInFlightRunNothingAndLeaveNoJob() {
        Session s = open();
        // launch() returns before the sbatch calls end (a few run at once): some of these are stopped
        // before their turn, some while their sbatch runs, some once submitted; none may run or stay.
        String marker = "cohort-slurm-early-stop-" + System.nanoTime();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(12).cpu(0.25).memoryGb(0.0625)
                .program(Program.shell("exec -a " + marker + " sleep 600")).build());
        List<Worker> stopped = s.stop(ws);
        assertThat(stopped).allSatisfy(w -> assertThat(w.status()).isEqualTo(Status.STOPPED));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(TestSlurm.liveJobs(s.id())).isEmpty());
        assertThat(processesNamed(marker)).isEmpty();
        assertThat(s.list()).allSatisfy(w -> assertThat(s.output(w)).isEmpty());
    }

    @Test
    void closingTheSessionCancelsEveryJobRunningOrPending() {
        Session s = open();
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(cpus + 2).cpu(1).memoryGb(0.25)
                .program(Program.shell("exec sleep 600")).build());
        await().atMost(Duration.ofMinutes(1)).until(() ->
                s.list().stream().filter(w -> w.status() == Status.RUNNING).count() == cpus
                        && s.list().stream().filter(w -> w.reason() != null && w.reason().contains("pending")).count() == 2);
        assertThat(TestSlurm.liveJobs(s.id())).hasSize(cpus + 2);
        String id = s.id();
        s.close();
        session = null;
        assertThat(TestSlurm.liveJobs(id)).isEmpty();
        assertThat(s.list()).allSatisfy(w -> assertThat(w.status()).isEqualTo(Status.STOPPED));
        assertThat(ws).hasSize(cpus + 2);
    }

    @Test
    void aJobCancelledFromOutsideFailsAndItsLeasedItemsAreDeliveredAgain() {
        Session s = open();
        WorkQueue q = s.queue("jobs");
        q.putAll(IntStream.range(0, 6).boxed().toList());
        q.close();
        // The first worker takes one item and holds it; the second drains the rest once it starts.
        Worker holder = launch(s, 1, 1, 0.25, Program.code(io.cohort.Kernel.PYTHON3, String.join("\n",
                "import cohort_client as c, time",
                "item = next(c.queue('jobs'))",
                "print('holding', item.value, flush=True)",
                "while True: time.sleep(1)"))).get(0);
        await().atMost(Duration.ofMinutes(1)).until(() -> s.output(holder).stream().anyMatch(l -> l.text().startsWith("holding")));
        assertThat(q.progress().inFlight()).isEqualTo(1);
        TestSlurm.run("scancel", TestSlurm.jobId(s.get(holder)));
        s.await(List.of(holder), true, Duration.ofMinutes(1));
        Worker failed = s.get(holder);
        assertThat(failed.status()).isEqualTo(Status.FAILED);
        assertThat(failed.reason()).contains("was cancelled outside the session");
        assertThat(q.progress().inFlight()).isZero();
        assertThat(q.progress().ready()).isEqualTo(6);

        Worker drainer = launch(s, 1, 1, 0.25, Program.code(io.cohort.Kernel.PYTHON3, String.join("\n",
                "import cohort_client as c",
                "for item in c.queue('jobs'):",
                "    c.results.put('square/%d' % item.value, item.value * item.value)"))).get(0);
        s.await(List.of(drainer), true, Duration.ofMinutes(2));
        QueueProgress p = q.progress();
        assertThat(p.done()).isEqualTo(6);
        assertThat(p.drained()).isTrue();
        assertThat(s.results().withPrefix("square/")).hasSize(6);
    }

    @Test
    void aJobThatReachesItsTimeLimitFailsWithThatReason() {
        // Slurm counts time limits in whole minutes, and checks them every half minute or so.
        Session s = open(Map.of("slurm.time", "1"));
        Worker w = launch(s, 1, 1, 0.25, Program.shell("echo started; exec sleep 600")).get(0);
        s.await(List.of(w), true, Duration.ofMinutes(4));
        Worker ended = s.get(w);
        assertThat(ended.status()).isEqualTo(Status.FAILED);
        assertThat(ended.reason()).contains("Slurm job " + TestSlurm.jobId(ended) + " reached its time limit");
        assertThat(Duration.between(ended.startedAt(), ended.finishedAt())).isGreaterThanOrEqualTo(Duration.ofSeconds(55));
        assertThat(s.output(w)).extracting(OutputLine::text).containsExactly("started");
    }

    @Test
    void aQueueIsDrainedByJavaWorkersOnSlurm() {
        Session s = open();
        WorkQueue q = s.queue("numbers");
        q.putAll(IntStream.range(0, 300).boxed().toList());
        q.close();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(2).cpu(1).memoryGb(0.5).program(Program.code(io.cohort.Kernel.JAVA,
                "io.cohort.worker.Cohort.queue(\"numbers\").forEach(item -> io.cohort.worker.Cohort.results()"
                        + ".put(\"n/\" + item.value(), ((Number) item.value()).longValue() * 2));")).build());
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(3));
        assertThat(r.failures()).isEmpty();
        assertThat(q.progress().done()).isEqualTo(300);
        assertThat(s.results().withPrefix("n/")).hasSize(300)
                .allSatisfy(res -> assertThat(((Number) res.value()).longValue())
                        .isEqualTo(2 * Long.parseLong(res.key().substring(2))));
    }

    @Test
    void slurmsRefusalsReachTheUserAtLaunchAndStartNothing() {
        Session s = open(Map.of("slurm.partition", "no-such-partition"));
        assertThatThrownBy(() -> launch(s, 1, 1, 0.25, Program.shell("true")))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("invalid partition")
                .hasMessageContaining("cohort.slurm.partition is 'no-such-partition'; partitions here: debug");
        s.close();
        session = null;

        Session t = open();
        assertThatThrownBy(() -> launch(t, 1, 512, 0.25, Program.shell("true")))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("no node can give one worker 512 CPU, 0.25 GB and 0 GPU(s)")
                .hasMessageContaining("Ask for less per worker");
        assertThatThrownBy(() -> t.launch(LaunchRequest.builder().n(1).cpu(1).memoryGb(0.25).gpus(1).program(Program.shell("true")).build()))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("no GPUs");
        assertThat(t.list()).isEmpty();
        assertThat(TestSlurm.allJobs(t.id())).isEmpty();
    }

    @Test
    void aMissingSbatchIsAClearErrorWhenTheSessionOpens() {
        assertThatThrownBy(() -> open(Map.of("slurm.bin", home.resolve("no-slurm-here").toString())))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("sbatch cannot be run")
                .hasMessageContaining("apt-get install slurm-client")
                .hasMessageContaining("cohort.slurm.bin");
        session = null;
    }

    static List<Worker> launch(Session s, int n, double cpu, double memoryGb, Program program) {
        return s.launch(LaunchRequest.builder().n(n).cpu(cpu).memoryGb(memoryGb).program(program).build());
    }

    /** Processes whose command line starts with {@code name} (set with exec -a). */
    static List<Long> processesNamed(String name) {
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                String cmd = java.nio.file.Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
                if (cmd.startsWith(name)) {
                    out.add(p.pid());
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                // It ended meanwhile.
            }
        });
        return out;
    }

    @Test
    void withWorkerSecurityOnTheAgentSpeaksPinnedTlsAndTheWorkersOutputReachesTheSession() {
        Session s = open(Map.of("workerSecurity", "on"));
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25).program(Program.code(io.cohort.Kernel.SHELL,
                "echo \"over ${COHORT_API%%:*} as ${COHORT_TOKEN%%.*}.${COHORT_WORKER_ID:-$CDSW_ENGINE_ID}\"")).build()).get(0);
        AwaitResult r = s.await(List.of(w), true, Duration.ofMinutes(2));
        assertThat(r.failures()).as(s.output(w).toString()).isEmpty();
        assertThat(s.output(w)).extracting(OutputLine::text).containsExactly("over https as cw1." + w.id());
        String script;
        try {
            script = java.nio.file.Files.readString(s.directory().resolve("slurm").resolve(w.id() + ".sh"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(script).contains("COHORT_TLS_PIN='sha256:").doesNotContain(s.controlPlaneToken());
    }
}
