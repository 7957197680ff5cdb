package io.cohort.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Limits for a worker's whole process tree, through Linux control groups: v2 where the unified
 * hierarchy has the memory controller, else v1 (separate memory and cpu hierarchies, as on many
 * container hosts), else none. Each session gets a folder {@code cohort-<session>} under the JVM's
 * own cgroup, and each worker a folder under that.
 */
interface Cgroups {

    /** A worker's cgroup: created before it starts, removed after it ends. */
    interface Slot {
        /** The cgroup.procs files the worker's first process writes its pid into. */
        List<Path> procsFiles();

        /** Every pid in the worker's cgroups. */
        List<Long> pids();

        /** True when {@link #pids()} holds the whole tree (every descendant is born into the cgroup). */
        default boolean holdsTree() {
            return true;
        }

        /** True when the kernel's OOM killer ended a process of this worker. */
        boolean oomKilled();

        /** Removes the cgroup folders; they must be empty. */
        void remove();
    }

    /** "cgroup v1", "cgroup v2" or "no cgroups", for workers' notes. */
    String name();

    /** Whether memory and CPU limits can be enforced here. */
    boolean enforcesMemory();

    boolean enforcesCpu();

    /** The most processes and threads a worker may hold at once (its cgroup's pids.max), or 0 for no limit here. */
    default long pidsLimit() {
        return 0;
    }

    /** Whether each worker's cgroups hold its whole tree (see {@link Slot#holdsTree()}). */
    default boolean holdsTrees() {
        return true;
    }

    /** The session's cgroup folders, for the guard. */
    List<Path> sessionDirectories();

    Slot create(String workerId, double cpu, long memoryBytes) throws IOException;

    /** Removes the session's folders. */
    void close();

    /**
     * Picks what this host allows: {@code mode} is "auto" (default) or "off"; {@code pidsMax} is each
     * worker's limit of processes and threads (0 for none), applied where the pids controller is.
     */
    static Cgroups detect(String sessionId, String mode, long pidsMax) {
        if ("off".equalsIgnoreCase(mode)) {
            return new NoCgroups();
        }
        Optional<Cgroups> v2 = CgroupV2.open(sessionId, pidsMax);
        if (v2.isPresent()) {
            return v2.get();
        }
        return CgroupV1.open(sessionId, pidsMax).orElseGet(NoCgroups::new);
    }

    /** Where {@code controller} ("memory", "cpu", "pids", or "" for v2) is mounted, and our path inside it. */
    static Optional<Path> ownCgroup(String fsType, String controller) {
        try {
            String relative = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] parts = line.split(":", 3);
                boolean match = controller.isEmpty() ? parts[0].equals("0") && parts[1].isEmpty()
                        : List.of(parts[1].split(",")).contains(controller);
                if (match) {
                    relative = parts[2];
                }
            }
            if (relative == null) {
                return Optional.empty();
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 3 && f[2].equals(fsType)
                        && (controller.isEmpty() || List.of(f[3].split(",")).contains(controller))) {
                    return Optional.of(Path.of(f[1] + relative).normalize());
                }
            }
        } catch (IOException | RuntimeException e) {
            // No cgroups to be had.
        }
        return Optional.empty();
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }

    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    /** The number after {@code key} in a "key value" file such as memory.events. */
    static long field(Path file, String key) {
        for (String line : read(file).split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) {
                return Long.parseLong(kv[1]);
            }
        }
        return 0;
    }

    static List<Long> pidsIn(Path procs) {
        List<Long> pids = new ArrayList<>();
        for (String line : read(procs).split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.trim()));
            }
        }
        return pids;
    }

    static void removeQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Still busy: the guard removes it when the session ends.
        }
    }

    /** No writable cgroups: limits are watched from outside (memory by RSS), and CPU is not limited. */
    final class NoCgroups implements Cgroups {
        @Override
        public String name() {
            return "no cgroups";
        }

        @Override
        public boolean enforcesMemory() {
            return false;
        }

        @Override
        public boolean enforcesCpu() {
            return false;
        }

        @Override
        public boolean holdsTrees() {
            return false;
        }

        @Override
        public List<Path> sessionDirectories() {
            return List.of();
        }

        @Override
        public Slot create(String workerId, double cpu, long memoryBytes) {
            return new Slot() {
                @Override
                public List<Path> procsFiles() {
                    return List.of();
                }

                @Override
                public List<Long> pids() {
                    return List.of();
                }

                @Override
                public boolean holdsTree() {
                    return false;
                }

                @Override
                public boolean oomKilled() {
                    return false;
                }

                @Override
                public void remove() {
                }
            };
        }

        @Override
        public void close() {
        }
    }
}
