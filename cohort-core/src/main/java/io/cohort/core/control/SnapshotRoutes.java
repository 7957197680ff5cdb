package io.cohort.core.control;

import io.cohort.Snapshot;
import io.cohort.core.results.SnapshotStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /v1/snapshots...}: named binary files, e.g. trained models (docs/control-plane.md, "Results and snapshots"). */
final class SnapshotRoutes {
    private final SnapshotStore snapshots;
    private final long maxBytes;

    SnapshotRoutes(SnapshotStore snapshots, long maxBytes) {
        this.snapshots = snapshots;
        this.maxBytes = maxBytes;
    }

    void route(Request r, List<String> p) throws IOException {
        if (p.size() == 2) {
            r.expect("GET");
            r.answer(200, snapshots.list().stream().map(SnapshotRoutes::describe).toList());
            return;
        }
        if (p.size() != 3) {
            throw new HttpError(404, "snapshot names have no '/': " + r.rawPath());
        }
        String name = p.get(2);
        switch (r.method) {
            case "PUT", "POST" -> {
                try {
                    Snapshot s = snapshots.save(name, r.bodyStream(), maxBytes, r.worker(), r.item());
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("size", s.size());
                    m.put("sha256", s.sha256());
                    r.answer(200, m);
                } catch (SnapshotStore.SnapshotTooLarge e) {
                    throw new HttpError(413, e.getMessage());
                }
            }
            case "GET" -> {
                Snapshot s = snapshots.get(name).orElseThrow(() -> new HttpError(404, "no snapshot named '" + name + "'"));
                // Open first: a save of the same name renames a new file into place, and an open file keeps its bytes.
                try (FileChannel file = FileChannel.open(s.file())) {
                    long size = file.size();
                    try (OutputStream out = r.stream(200, "application/octet-stream", size)) {
                        Channels.newInputStream(file).transferTo(out);
                    }
                }
            }
            default -> throw new HttpError(405, "snapshots take GET or PUT, got " + r.method);
        }
    }

    private static Map<String, Object> describe(Snapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("size", s.size());
        m.put("sha256", s.sha256());
        m.put("worker", s.workerId());
        m.put("item", s.itemId());
        m.put("saved_at", s.savedAt().toString());
        return m;
    }
}
