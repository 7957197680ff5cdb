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
import io.cohort.Status;
import io.cohort.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Arguments are checked, launches are admitted against the machine, and limits are enforced. */
class ResourcesTest {
    @TempDir
    Path home;
    Fixtures.Console console = new Fixtures.Console();

    @Test
    void invalidArgumentsNameTheArgumentAndTheRange() {
        Program p = Program.shell("true");
        assertThatThrownBy(() -> LaunchRequest.of(0, 1, 1, p)).hasMessage("n (number of workers) must be at least 1, got 0");
        assertThatThrownBy(() -> LaunchRequest.of(1, 0, 1, p)).hasMessageStartingWith("cpu (cores per worker) must be more than 0");
        assertThatThrownBy(() -> LaunchRequest.of(1, Double.NaN, 1, p)).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> LaunchRequest.of(1, 1, -0.5, p)).hasMessageStartingWith("memory (GB per worker) must be more than 0");
        assertThatThrownBy(() -> LaunchRequest.builder().gpus(-1)).hasMessage("gpus (per worker) must be 0 or more, got -1");
        assertThatThrownBy(() -> LaunchRequest.builder().build()).hasMessageContaining("needs a script or code");
        assertThatThrownBy(() -> new Program(Kernel.PYTHON3, "a.py", "print(1)")).hasMessageContaining("got both");
        assertThatThrownBy(() -> new Program(Kernel.PYTHON3, null, null)).hasMessageContaining("got neither");
        assertThatThrownBy(() -> LaunchRequest.builder().env("A=B", "x")).hasMessageContaining("is not a variable name");
    }

    @Test
    void launchesBeyondTheMachineAreRefusedBeforeAnythingStarts() {
        int cores = Runtime.getRuntime().availableProcessors();
        try (Session s = Session.open(Fixtures.options(home, console).cpuOvercommit(1).build())) {
            assertThatThrownBy(() -> s.launch(LaunchRequest.of(cores + 1, 1, 0.1, Program.shell("true"))))
                    .isInstanceOf(CohortException.class)
                    .hasMessageContaining("needs " + (cores + 1) + " cores, and this machine has " + cores)
                    .hasMessageContaining("-Dcohort.cpuOvercommit");
            assertThatThrownBy(() -> s.launch(LaunchRequest.of(2, 0.1, 100_000, Program.shell("true"))))
                    .hasMessageContaining("that needs 200000 GB, and this machine has");
            assertThatThrownBy(() -> s.launch(new LaunchRequest(1, 0.1, 0.1, 1, Program.shell("true"), Map.of())))
                    .hasMessageContaining("this machine has 0 (nvidia-smi found none)");
            assertThat(s.list()).isEmpty();

            // What running workers hold counts, and is given back when they end.
            List<Worker> big = s.launch(LaunchRequest.of(1, cores - 0.5, 0.1, Program.shell("sleep 300")));
            assertThatThrownBy(() -> s.launch(LaunchRequest.of(1, 1, 0.1, Program.shell("true"))))
                    .hasMessageContaining("are held by running workers");
            s.stop(big);
            List<Worker> next = s.launch(LaunchRequest.of(1, 1, 0.1, Program.shell("true")));
            assertThat(s.await(next, true, Duration.ofSeconds(30)).failures()).isEmpty();
        }
    }

    @Test
    void aWorkerOverItsMemoryIsKilledAndReportedAsOutOfMemory() {
        try (Session s = Fixtures.open(home, console)) {
            Worker w = s.launch(LaunchRequest.of(1, 0.5, 0.1,
                    Program.code(Kernel.PYTHON3, "import time\nx = b'x' * (400 * 1024 * 1024)\nprint('survived')\ntime.sleep(60)"))).get(0);

            Worker end = s.await(List.of(w), true, Duration.ofSeconds(60)).failures().get(0);

            assertThat(end.status()).isEqualTo(Status.FAILED);
            assertThat(end.reason()).startsWith("out of memory").contains("102 MB");
            assertThat(s.output(w)).extracting(OutputLine::text).doesNotContain("survived");
        }
    }

    @Test
    void withoutCgroupsMemoryIsWatchedByRssAndCpuIsReportedUnlimited() {
        try (Session s = Session.open(Fixtures.options(home, console).setting("local.cgroups", "off").build())) {
            Worker w = s.launch(LaunchRequest.of(1, 0.5, 0.1,
                    Program.code(Kernel.PYTHON3, "import time\nx = b'x' * (400 * 1024 * 1024)\nprint('allocated', flush=True)\ntime.sleep(60)"))).get(0);

            Worker end = s.await(List.of(w), true, Duration.ofSeconds(60)).failures().get(0);

            assertThat(end.status()).isEqualTo(Status.FAILED);
            assertThat(end.reason()).startsWith("out of memory").contains("watched by RSS");
            assertThat(end.notes()).anyMatch(n -> n.startsWith("memory watched by RSS"))
                    .anyMatch(n -> n.startsWith("cpu not limited"));
            assertThat(Fixtures.survivors(s.id())).isEmpty();
        }
    }

    @Test
    void cpuIsLimitedByACgroupQuotaAndTheDescriptionSaysHow() {
        try (Session s = Fixtures.open(home, console)) {
            // The worker reads its own limit from the cgroup it was put in.
            Worker w = s.launch(LaunchRequest.of(1, 0.25, 0.2, Program.shell(
                    "cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/self/cgroup);"
                            + " cat /sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us 2>/dev/null"
                            + " || cat /sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)/cpu.max"))).get(0);
            AwaitResult r = s.await(List.of(w), true, Duration.ofSeconds(30));
            Worker end = r.workers().get(0);
            List<String> out = s.output(w).stream().map(OutputLine::text).toList();

            if (end.notes().stream().anyMatch(n -> n.startsWith("cpu limited to 0.25 cores by cgroup v1"))) {
                assertThat(out).containsExactly("25000");
            } else if (end.notes().stream().anyMatch(n -> n.contains("cgroup v2"))) {
                assertThat(out).containsExactly("25000 100000");
            } else {
                assertThat(end.notes()).anyMatch(n -> n.startsWith("cpu not limited"));
            }
            assertThat(end.notes()).anyMatch(n -> n.startsWith("memory limited to 204 MB") || n.startsWith("memory watched by RSS"));
        }
    }

    @Test
    void aForkBombIsContainedByTheWorkersPidsLimit() {
        try (Session s = Session.open(Fixtures.options(home, console).setting("local.pids", "32").build())) {
            Worker w = s.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, """
                    import os, time
                    n = 0
                    try:
                        for i in range(200):
                            if os.fork() == 0:
                                time.sleep(120)
                                os._exit(0)
                            n += 1
                        print("forked all", n, flush=True)
                    except OSError as e:
                        print("fork refused after", n, "children:", e.strerror, flush=True)
                    time.sleep(120)
                    """))).get(0);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> !s.output(w).isEmpty() || s.get(w).status().isFinal());
            Worker running = s.get(w);
            if (running.notes().stream().noneMatch(n -> n.startsWith("at most 32 processes and threads"))) {
                // CI runs as root with a pids controller and must prove it; elsewhere the limit may be missing.
                assertThat(System.getenv("CI")).as("no pids limit here: %s", running.notes()).isNotEqualTo("true");
                s.stop(List.of(w));
                org.junit.jupiter.api.Assumptions.assumeTrue(false, "no writable cgroup pids controller here");
            }
            assertThat(s.output(w)).as("worker %s, console %s", s.get(w), console.text()).isNotEmpty();
            String said = s.output(w).get(0).text();
            assertThat(said).startsWith("fork refused after ").contains("Resource temporarily unavailable");
            int children = Integer.parseInt(said.split(" ")[3]);
            assertThat(children).isBetween(1, 31);
            assertThat(Fixtures.survivors(s.id())).hasSizeLessThanOrEqualTo(32);
            assertThat(s.get(w).status()).isEqualTo(Status.RUNNING);

            assertThat(s.stop(List.of(w))).singleElement().extracting(Worker::status).isEqualTo(Status.STOPPED);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.survivors(s.id()).isEmpty());
        }
    }

    @Test
    void javaWorkersGetAHeapLimitFromTheirMemory() {
        try (Session s = Fixtures.open(home, console)) {
            Worker w = s.launch(LaunchRequest.of(1, 0.5, 0.5,
                    Program.code("System.out.println(Runtime.getRuntime().maxMemory() / (1024 * 1024));"))).get(0);
            s.await(List.of(w), true, Duration.ofSeconds(60));

            long heapMb = Long.parseLong(s.output(w).get(0).text());
            assertThat(heapMb).isBetween(300L, 384L);
        }
    }

    @Test
    void gpusAreGivenOutWholeAndExclusively(@TempDir Path bin) throws IOException {
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\necho '0, GPU-11111111-aaaa, NVIDIA H200'\necho '1, GPU-22222222-bbbb, NVIDIA H200'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Session s = Session.open(Fixtures.options(home, console).setting("local.nvidiaSmi", smi.toString()).build())) {
            List<Worker> ws = s.launch(LaunchRequest.builder().n(2).cpu(0.1).memoryGb(0.1).gpus(1)
                    .program(Program.shell("echo \"gpus=$CUDA_VISIBLE_DEVICES\"; sleep 300")).build());
            Worker none = s.launch(LaunchRequest.of(1, 0.1, 0.1, Program.shell("echo \"gpus=[$CUDA_VISIBLE_DEVICES]\""))).get(0);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> ws.stream().allMatch(w -> !s.output(w).isEmpty()) && !s.output(none).isEmpty());

            assertThat(s.list().subList(0, 2)).extracting(Worker::gpus).containsExactly(List.of(0), List.of(1));
            assertThat(s.output("w1").get(0).text()).isEqualTo("gpus=0");
            assertThat(s.output("w2").get(0).text()).isEqualTo("gpus=1");
            assertThat(s.output(none).get(0).text()).isEqualTo("gpus=[]");
            assertThatThrownBy(() -> s.launch(new LaunchRequest(1, 0.1, 0.1, 1, Program.shell("true"), Map.of())))
                    .hasMessageContaining("this machine has 2, of which 2 are held by running workers");
            assertThatThrownBy(() -> s.launch(new LaunchRequest(1, 0.1, 0.1, 3, Program.shell("true"), Map.of())))
                    .hasMessageContaining("with 3 GPU(s) each");

            s.stop(ws);
            Worker again = s.launch(new LaunchRequest(1, 0.1, 0.1, 2, Program.shell("echo $CUDA_VISIBLE_DEVICES"), Map.of())).get(0);
            s.await(List.of(again), true, Duration.ofSeconds(30));
            assertThat(s.output(again).get(0).text()).isEqualTo("0,1");
        }
    }
}
