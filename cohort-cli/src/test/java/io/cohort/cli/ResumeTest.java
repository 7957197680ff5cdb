package io.cohort.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session killed with SIGKILL mid-drain is resumed with `cohort resume` and finishes its queue. */
class ResumeTest {
    static final int ITEMS = 3000;

    @TempDir
    Path home;

    @Test
    void aKilledSessionResumesWithNothingLostAndNothingAcknowledgedDoneAgain() throws Exception {
        Path log = home.resolve("processed.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DrainFixture.class.getName(),
                home.toString(), Integer.toString(ITEMS), log.toString())
                .redirectErrorStream(true).start();
        Path dir;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertThat(ready).as("the fixture's first line").startsWith("READY ");
            dir = Path.of(ready.substring(6));
            // The session holds its database while it runs; its workers' own log shows progress.
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= ITEMS / 4);
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        String sessionId = dir.getFileName().toString();
        await().atMost(Duration.ofSeconds(15)).until(() -> Processes.withSession(sessionId).isEmpty());

        Set<Long> ackedBefore = values(dir, "SELECT id - 1 FROM items WHERE state = 'done'");
        long workersBefore = count(dir, "SELECT count(*) FROM workers");
        assertThat(ackedBefore).hasSizeGreaterThanOrEqualTo(ITEMS / 4 - 10).hasSizeLessThan(ITEMS);

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"resume", dir.toString()}, new PrintStream(console, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).as("resume's exit code; console:%n%s%n%s", console, err).isZero();
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("starting again 2 worker(s)");
        assertThat(count(dir, "SELECT count(*) FROM results")).isEqualTo(ITEMS);
        assertThat(count(dir, "SELECT count(*) FROM items WHERE state = 'done'")).isEqualTo(ITEMS);
        assertThat(values(dir, "SELECT CAST(substr(key, 6) AS INTEGER) FROM results")).hasSize(ITEMS);
        // The workers started by resume never redid an item acknowledged before the crash.
        List<String> lines = Files.readAllLines(log);
        Set<Long> redone = new HashSet<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (Long.parseLong(f[0].substring(1)) > workersBefore && ackedBefore.contains(Long.parseLong(f[1]))) {
                redone.add(Long.parseLong(f[1]));
            }
        }
        assertThat(redone).isEmpty();
        // ... and they did every item that was not acknowledged.
        Set<Long> doneAfter = new HashSet<>();
        lines.stream().map(l -> l.split(" ")).filter(f -> Long.parseLong(f[0].substring(1)) > workersBefore)
                .forEach(f -> doneAfter.add(Long.parseLong(f[1])));
        for (long n = 0; n < ITEMS; n++) {
            assertThat(ackedBefore.contains(n) || doneAfter.contains(n)).as("item %d", n).isTrue();
        }
    }

    private static long count(Path dir, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("session.db"));
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static Set<Long> values(Path dir, String sql) throws Exception {
        Set<Long> out = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("session.db"));
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
