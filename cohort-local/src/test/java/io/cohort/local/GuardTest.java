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
}
