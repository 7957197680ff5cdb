package io.cohort.examples;

import io.cohort.Session;
import io.cohort.WorkerGroup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the examples share: writing a worker's source out of this jar, and naming a new group. */
final class WorkerSources {
    private WorkerSources() {
    }

    /** Writes the resource {@code io/cohort/examples/<name>} to {@code dir}; returns the file. */
    static Path extract(Path dir, String name) throws IOException {
        Path file = dir.resolve(Path.of(name).getFileName().toString());
        try (InputStream in = WorkerSources.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("the examples' jar has no " + name + "; rebuild it with mvn package");
            }
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    /** {@code base}, or {@code base-2}, {@code base-3}, ... when the session already has that group. */
    static String newGroupName(Session session, String base) {
        List<String> taken = session.groups().stream().map(WorkerGroup::name).toList();
        String name = base;
        for (int k = 2; taken.contains(name); k++) {
            name = base + "-" + k;
        }
        return name;
    }
}
