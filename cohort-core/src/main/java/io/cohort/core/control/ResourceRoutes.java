package io.cohort.core.control;

import io.cohort.core.Json;
import io.cohort.core.backend.WorkerUsage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * {@code /v1/resources}: the machine's CPU and memory (from /proc) and each running worker's (from
 * its backend: its cgroup or its process tree), sampled when asked and at most every
 * {@value #SAMPLE_MS} ms however many ask; {@code /v1/resources/stream} sends the samples kept so far
 * and then each new one as a server-sent event, so a page draws them over time without polling.
 */
final class ResourceRoutes {
    static final long SAMPLE_MS = 2_000;
    /** Ten minutes of samples. */
    private static final int KEPT = 300;
    private static final int MAX_STREAMS = 32;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    private final ArrayDeque<Map<String, Object>> kept = new ArrayDeque<>();
    private volatile Supplier<Map<String, WorkerUsage>> usage = Map::of;
    private long lastAt;
    private long[] lastCpu;
    private Map<String, WorkerUsage> lastWorkers = Map.of();

    void serve(Supplier<Map<String, WorkerUsage>> usage) {
        this.usage = usage;
    }

    void route(Request r, List<String> p) throws IOException, InterruptedException {
        r.expect("GET");
        if (p.size() == 2) {
            r.answer(200, sample());
        } else if (p.size() == 3 && p.get(2).equals("stream")) {
            if (!streams.tryAcquire()) {
                throw new HttpError(503, "the session already serves " + MAX_STREAMS + " resource streams; close some dashboards");
            }
            try {
                stream(r);
            } finally {
                streams.release();
            }
        } else {
            throw new HttpError(404, "no such endpoint: " + r.rawPath() + " (GET /v1/resources, GET /v1/resources/stream)");
        }
    }

    private void stream(Request r) throws IOException, InterruptedException {
        r.setHeader("Cache-Control", "no-store");
        try (OutputStream out = r.stream(200, "text/event-stream; charset=utf-8", -1)) {
            Map<String, Object> newest = sample();
            StringBuilder first = new StringBuilder();
            for (Map<String, Object> s : history()) {
                first.append("event: sample\ndata: ").append(Json.write(s)).append("\n\n");
            }
            out.write(first.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Thread.sleep(SAMPLE_MS); // the pace of the samples, not a wait for another thread
                Map<String, Object> s = sample();
                if (s != newest) {
                    newest = s;
                    out.write(("event: sample\ndata: " + Json.write(s) + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        }
    }

    private synchronized List<Map<String, Object>> history() {
        return List.copyOf(kept);
    }

    /** A new sample, or the newest when it is younger than half the period. */
    synchronized Map<String, Object> sample() {
        long now = System.currentTimeMillis();
        if (!kept.isEmpty() && now - lastAt < SAMPLE_MS / 2) {
            return kept.peekLast();
        }
        long[] cpu = cpuTicks();
        Map<String, WorkerUsage> workers = usage.get();
        double seconds = lastAt == 0 ? 0 : (now - lastAt) / 1000.0;
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("cpu_busy", lastCpu == null || cpu == null || cpu[1] == lastCpu[1] ? null
                : (double) (cpu[0] - lastCpu[0]) / (cpu[1] - lastCpu[1]));
        long[] memory = memory();
        machine.put("memory_total", memory[0]);
        machine.put("memory_available", memory[1]);
        Map<String, Object> perWorker = new LinkedHashMap<>();
        for (Map.Entry<String, WorkerUsage> w : new java.util.TreeMap<>(workers).entrySet()) {
            WorkerUsage before = lastWorkers.get(w.getKey());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("memory_bytes", w.getValue().residentBytes());
            // Cores busy since the last sample; null on a worker's first.
            m.put("cpu", before == null || seconds <= 0 ? null
                    : Math.max(0, w.getValue().cpuSeconds() - before.cpuSeconds()) / seconds);
            perWorker.put(w.getKey(), m);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("at", java.time.Instant.ofEpochMilli(now).toString());
        s.put("machine", machine);
        s.put("workers", perWorker);
        lastAt = now;
        lastCpu = cpu;
        lastWorkers = workers;
        kept.addLast(s);
        while (kept.size() > KEPT) {
            kept.removeFirst();
        }
        return s;
    }

    /** Busy and total jiffies of all CPUs (/proc/stat's first line), or null off Linux. */
    private static long[] cpuTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            long total = 0;
            long idle = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i == 4 || i == 5) {
                    idle += v;
                }
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Total and available memory in bytes (/proc/meminfo); -1 where unknown. */
    private static long[] memory() {
        long[] m = {-1, -1};
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    m[0] = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                } else if (line.startsWith("MemAvailable:")) {
                    m[1] = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return m;
    }
}
