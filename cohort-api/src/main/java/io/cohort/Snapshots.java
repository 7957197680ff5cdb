package io.cohort;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Named binary files workers saved (trained models, checkpoints); saving a name again replaces it. */
public interface Snapshots {

    /** All snapshots, in name order. */
    List<Snapshot> list();

    Optional<Snapshot> get(String name);

    /** The snapshot's bytes. */
    byte[] read(String name);

    /** Saves a file as a snapshot from the session itself. */
    Snapshot save(String name, Path file);
}
