package io.cohort;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One saved snapshot.
 *
 * @param name     its name
 * @param file     where its bytes are, in the session directory
 * @param size     bytes
 * @param sha256   checksum of its bytes, hex
 * @param workerId the worker that saved it (null when the session did)
 * @param itemId   the queue item it was saved for, or null
 * @param savedAt  when
 */
public record Snapshot(String name, Path file, long size, String sha256, String workerId, Long itemId, Instant savedAt) {
}
