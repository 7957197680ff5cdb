package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What the Python tests share: a cohort home, a project folder scripts run in, and cleanup. */
abstract class PythonSessions {
    static final Duration RUN_WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path home;
    @TempDir
    Path project;
    private final List<PythonProcess> started = new ArrayList<>();

    @AfterEach
    void killEverythingLeft() {
        started.forEach(PythonProcess::close);
        PythonProcess.killLeftovers(home);
    }

    /** Writes {@code source} to {@code name} in the project folder. */
    Path write(String name, String source) throws IOException {
        return Files.writeString(project.resolve(name), source);
    }

    /** Starts {@code /usr/bin/python3 -u name} in the project folder. */
    PythonProcess start(String name, Map<String, String> env, String... args) throws IOException {
        PythonProcess p = PythonProcess.start(home, project, name, env, args);
        started.add(p);
        return p;
    }

    /** Writes and runs a script; it must exit with 0. */
    PythonProcess run(String name, String source) throws Exception {
        write(name, source);
        PythonProcess p = start(name, Map.of());
        int code = p.awaitExit(RUN_WITHIN);
        assertThat(code).as("python's exit code; %s", p.describe()).isZero();
        return p;
    }
}
