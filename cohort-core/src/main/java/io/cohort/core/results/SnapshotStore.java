package io.cohort.core.results;

import io.cohort.CohortException;
import io.cohort.Snapshot;
import io.cohort.Snapshots;
import io.cohort.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots as files in {@code <session>/snapshots/}, written to a temporary file, synced and
 * renamed into place, so a reader never sees half a file; their metadata lives in the database.
 */
public final class SnapshotStore implements Snapshots {
    private final Store store;
    private final Path directory;
    private final Clock clock;

    public SnapshotStore(Store store, Path directory, Clock clock) {
        this.store = store;
        this.directory = directory;
        this.clock = clock;
    }

    /** Saves a stream as the named snapshot, at most {@code maxBytes} long; returns once stored. */
    public Snapshot save(String name, InputStream in, long maxBytes, String workerId, Long itemId) throws IOException {
        checkName(name);
        io.cohort.core.PrivateFiles.folder(directory);
        Path tmp = Files.createTempFile(directory, ".incoming-", ".tmp");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    size += n;
                    if (size > maxBytes) {
                        throw new SnapshotTooLarge("snapshot '" + name + "' is larger than the limit of " + maxBytes
                                + " bytes (cohort.snapshotMaxBytes)");
                    }
                    out.write(buf, 0, n);
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Path file = directory.resolve(name);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Snapshot s = new Snapshot(name, file, size, HexFormat.of().formatHex(sha.digest()), workerId, itemId,
                    Instant.ofEpochMilli(clock.millis()));
            record(s);
            return s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Thrown when a snapshot passes the size limit. */
    public static final class SnapshotTooLarge extends IOException {
        SnapshotTooLarge(String message) {
            super(message);
        }
    }

    private void record(Snapshot s) {
        store.writeAndWait(tx -> {
            PreparedStatement ps = tx.statement("INSERT INTO snapshots(name, file, size, sha256, worker, item_id, saved_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET file = excluded.file, size = excluded.size,"
                    + " sha256 = excluded.sha256, worker = excluded.worker, item_id = excluded.item_id, saved_at = excluded.saved_at");
            ps.setString(1, s.name());
            ps.setString(2, s.file().toString());
            ps.setLong(3, s.size());
            ps.setString(4, s.sha256());
            ps.setString(5, s.workerId());
            Store.setLong(ps, 6, s.itemId());
            ps.setLong(7, s.savedAt().toEpochMilli());
            ps.executeUpdate();
        });
    }

    @Override
    public Snapshot save(String name, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return save(name, in, Long.MAX_VALUE, null, null);
        } catch (IOException e) {
            throw new CohortException("cannot save snapshot '" + name + "' from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<Snapshot> list() {
        return query("", null);
    }

    @Override
    public Optional<Snapshot> get(String name) {
        List<Snapshot> s = query("WHERE name = ?", name);
        return s.isEmpty() ? Optional.empty() : Optional.of(s.get(0));
    }

    @Override
    public byte[] read(String name) {
        Snapshot s = get(name).orElseThrow(() -> new CohortException("no snapshot named '" + name + "'; there are "
                + list().stream().map(Snapshot::name).toList()));
        try {
            return Files.readAllBytes(s.file());
        } catch (IOException e) {
            throw new CohortException("cannot read snapshot '" + name + "' from " + s.file() + ": " + e.getMessage(), e);
        }
    }

    private List<Snapshot> query(String where, String arg) {
        return store.read(c -> {
            List<Snapshot> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT name, file, size, sha256, worker, item_id, saved_at FROM snapshots " + where + " ORDER BY name")) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long item = rs.getLong(6);
                        Long itemId = rs.wasNull() ? null : item;
                        out.add(new Snapshot(rs.getString(1), Path.of(rs.getString(2)), rs.getLong(3), rs.getString(4),
                                rs.getString(5), itemId, Instant.ofEpochMilli(rs.getLong(7))));
                    }
                }
            }
            return out;
        });
    }

    static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}")) {
            throw new IllegalArgumentException("snapshot names are 1 to 200 letters, digits, '.', '_', '=', '+' or '-',"
                    + " starting with a letter or digit; got '" + name + "'");
        }
    }
}
