package io.cohort.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLite's native library comes from one copy in the user's cache, not from a new copy in the
 * temporary folder at every JVM's start (which a killed JVM leaves behind). Each case is a fresh JVM,
 * since a JVM loads the library once.
 */
class SqliteNativeTest {
    @TempDir
    Path dir;

    /** Opens a store in a fresh JVM: args[0] the database file. */
    public static final class OpenStore {
        public static void main(String[] args) {
            Store.open(Path.of(args[0]), Durability.COMMIT).close();
            System.out.println("lib.path=" + System.getProperty("org.sqlite.lib.path"));
        }
    }

    private String openInFreshJvm(Path cache, Path tmp, String db) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), OpenStore.class.getName(),
                dir.resolve(db).toString()).redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private static List<Path> sqliteCopies(Path tmp) throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("sqlite-")).toList();
        }
    }

    @Test
    void theLibraryIsWrittenOnceToThePrivateCacheAndNeverToTheTemporaryFolder() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));

        String first = openInFreshJvm(cache, tmp, "a.db");
        Path copy;
        try (Stream<Path> found = Files.walk(cache.resolve("cohort/native"))) {
            copy = found.filter(f -> f.getFileName().toString().equals(System.mapLibraryName("sqlitejdbc"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no library under " + cache + "; the JVM said: " + first));
        }
        assertThat(first).contains("lib.path=" + copy.getParent());
        assertThat(Files.getPosixFilePermissions(copy.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(sqliteCopies(tmp)).isEmpty();

        var written = Files.getLastModifiedTime(copy);
        openInFreshJvm(cache, tmp, "b.db");
        assertThat(Files.getLastModifiedTime(copy)).isEqualTo(written);
        assertThat(sqliteCopies(tmp)).isEmpty();
    }

    @Test
    void aCacheFolderOthersCanWriteToIsNotUsed() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path shared = Files.createDirectories(cache.resolve("cohort/native"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        String out = openInFreshJvm(cache, tmp, "c.db");
        // sqlite-jdbc falls back to its own way: a copy in the temporary folder; the store still opens.
        assertThat(out).contains("lib.path=null");
        try (Stream<Path> found = Files.list(shared)) {
            assertThat(found).isEmpty();
        }
    }
}
