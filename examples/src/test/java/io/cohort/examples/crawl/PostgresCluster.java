package io.cohort.examples.crawl;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL cluster for one test: initdb in a temporary folder, a server on a free port of
 * 127.0.0.1, a database; stopped and removed on close. The work is done by scripts/postgres-for-tests.
 *
 * <p>Where PostgreSQL is not installed the test is skipped with a message saying how to install it,
 * except under CI=true, where it fails: CI installs it (scripts/prerequisites), so a missing server
 * there is a broken set-up, not a reason to pass.
 */
final class PostgresCluster implements AutoCloseable {
    private static final int NOT_INSTALLED = 3;
    private final Path script;
    private final Path dir;
    private final int port;
    private final String database;

    private PostgresCluster(Path script, Path dir, int port, String database) {
        this.script = script;
        this.dir = dir;
        this.port = port;
        this.database = database;
    }

    static PostgresCluster start(String database) throws IOException, InterruptedException {
        Path script = findScript();
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            // Under java.io.tmpdir (/tmp), which the postgres user can enter; the script hands the folder to it.
            Path dir = Files.createTempDirectory("cohort-pg-");
            int port = freePort();
            Result r = run(script, "start", dir.toString(), Integer.toString(port), database);
            if (r.code == 0) {
                System.out.print(r.output);
                return new PostgresCluster(script, dir, port, database);
            }
            delete(dir);
            if (r.code == NOT_INSTALLED) {
                String why = "PostgreSQL is not installed, so the crawl into PostgreSQL is not tested: " + r.output.trim()
                        + " (scripts/prerequisites installs it when run as root)";
                if ("true".equals(System.getenv("CI"))) {
                    fail(why);
                }
                Assumptions.assumeTrue(false, why);
            }
            last = new IOException("scripts/postgres-for-tests start failed (exit " + r.code + "): " + r.output);
        }
        throw last;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    String user() {
        return "postgres";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            Result r = run(script, "stop", dir.toString());
            if (r.code != 0) {
                throw new IOException("scripts/postgres-for-tests stop failed (exit " + r.code + "): " + r.output);
            }
        } finally {
            delete(dir);
        }
    }

    private record Result(int code, String output) {
    }

    private static Result run(Path script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/sh", script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // The output is small; read it all, then the exit code (pg_ctl waits up to 60 s itself).
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("scripts/postgres-for-tests " + args[0] + " did not finish in 2 minutes: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    private static Path findScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts").resolve("postgres-for-tests");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new IllegalStateException("scripts/postgres-for-tests not found above " + Path.of("").toAbsolutePath());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
