package io.cohort.worker;

import io.cohort.worker.internal.ControlPlaneClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Snapshots as a worker saves them: named binary files kept by the session, tagged with this worker and item. */
public final class SavedSnapshots {
    private final ControlPlaneClient client;

    SavedSnapshots(ControlPlaneClient client) {
        this.client = client;
    }

    /** Saves a file's bytes under a name (letters, digits, '.', '_', '=', '+', '-'). */
    public void save(String name, Path file) {
        try {
            save(name, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to save it as snapshot '" + name + "'", e);
        }
    }

    public void save(String name, byte[] bytes) {
        client.call("PUT", "/v1/snapshots/" + ControlPlaneClient.segment(name), bytes, Cohort.currentItemId(), 600_000);
    }

    /** A snapshot's bytes. */
    public byte[] read(String name) {
        return client.call("GET", "/v1/snapshots/" + ControlPlaneClient.segment(name), null, null, 600_000);
    }
}
