package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard kills only what belongs to its session. */
class GuardTest {
    @TempDir
    Path sessionDir;

    @Test
    void withoutCgroupsTheGuardNeverLooksForCgroupFilesElsewhere() throws Exception {
        // A stranger listed in a cgroup.procs file the guard could find if it searched its working directory.
        Process stranger = new ProcessBuilder("setsid", "sleep", "300").start();
        try {
            Path fake = Files.createDirectories(sessionDir.resolve("somewhere/deep"));
            Files.writeString(fake.resolve("cgroup.procs"), stranger.pid() + "\n");

            Guard guard = Guard.start(sessionDir, "guardtest-0000", Duration.ofMillis(200), List.of(), null);
            guard.close();

            assertThat(stranger.isAlive()).as("an unrelated process the guard must not touch").isTrue();
            assertThat(Files.readString(sessionDir.resolve("guard.log"))).doesNotContain("stopping them");
        } finally {
            stranger.destroyForcibly();
            stranger.waitFor();
        }
    }

    @Test
    void whenTheSessionDiesItsGuardDeletesItsNetworkNamespacesAndBridgeOnly() throws Exception {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        if (!root) {
            assertThat(System.getenv("CI")).as("network namespaces need root").isNotEqualTo("true");
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "network namespaces need root");
        }
        // As local.network=namespace leaves them while workers run: a bridge and a namespace per worker.
        String tag = "gt" + Long.toHexString(System.nanoTime() & 0xfff);
        String other = "cohort-" + tag + "x-w1";
        for (String[] c : new String[][] {{"ip", "link", "add", "cb" + tag, "type", "bridge"},
                {"ip", "netns", "add", "cohort-" + tag + "-w1"}, {"ip", "netns", "add", other}}) {
            assertThat(new ProcessBuilder(c).inheritIO().start().waitFor()).as(String.join(" ", c)).isZero();
        }
        try {
            Guard guard = Guard.start(sessionDir, "guardtest-0001", Duration.ofMillis(200), List.of(), tag);
            guard.close(); // as the session's death closes its pipe

            String namespaces = new String(new ProcessBuilder("ip", "netns", "list").start().getInputStream().readAllBytes());
            assertThat(namespaces).doesNotContain("cohort-" + tag + "-w1").contains(other);
            assertThat(new ProcessBuilder("ip", "link", "show", "cb" + tag).start().waitFor()).as("the bridge is gone").isNotZero();
        } finally {
            new ProcessBuilder("ip", "netns", "del", other).start().waitFor();
            new ProcessBuilder("ip", "netns", "del", "cohort-" + tag + "-w1").start().waitFor();
            new ProcessBuilder("ip", "link", "del", "cb" + tag).start().waitFor();
        }
    }
}
