package io.cohort.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * cgroup v2: one folder per worker with memory.max, cpu.max and pids.max. The session folder must be able to
 * delegate the memory and cpu controllers to its children; where the host does not allow that
 * (our own cgroup holds processes and is not the root), v2 is not used.
 */
final class CgroupV2 implements Cgroups {
    private final Path session;
    private final boolean cpu;
    /** The limit of processes and threads per worker; 0 when none (not asked for, or no pids controller). */
    private final long pidsMax;

    private CgroupV2(Path session, boolean cpu, long pidsMax) {
        this.session = session;
        this.cpu = cpu;
        this.pidsMax = pidsMax;
    }

    static Optional<Cgroups> open(String sessionId, long pidsMax) {
        Optional<Path> own = Cgroups.ownCgroup("cgroup2", "");
        if (own.isEmpty() || !Cgroups.read(own.get().resolve("cgroup.controllers")).contains("memory")) {
            return Optional.empty();
        }
        Path session = own.get().resolve("cohort-" + sessionId);
        try {
            Cgroups.write(own.get().resolve("cgroup.subtree_control"), "+memory");
            Files.createDirectories(session);
            String available = Cgroups.read(session.resolve("cgroup.controllers"));
            boolean cpu = available.contains("cpu");
            boolean pids = pidsMax > 0 && available.contains("pids");
            Cgroups.write(session.resolve("cgroup.subtree_control"), "+memory" + (cpu ? " +cpu" : "") + (pids ? " +pids" : ""));
            return Optional.of(new CgroupV2(session, cpu, pids ? pidsMax : 0));
        } catch (IOException | RuntimeException e) {
            Cgroups.removeQuietly(session);
            return Optional.empty();
        }
    }

    @Override
    public String name() {
        return "cgroup v2";
    }

    @Override
    public boolean enforcesMemory() {
        return true;
    }

    @Override
    public boolean enforcesCpu() {
        return cpu;
    }

    @Override
    public long pidsLimit() {
        return pidsMax;
    }

    @Override
    public List<Path> sessionDirectories() {
        return List.of(session);
    }

    @Override
    public Slot create(String workerId, double cores, long memoryBytes) throws IOException {
        Path dir = Files.createDirectories(session.resolve(workerId));
        Cgroups.write(dir.resolve("memory.max"), Long.toString(memoryBytes));
        if (Files.exists(dir.resolve("memory.swap.max"))) {
            Cgroups.write(dir.resolve("memory.swap.max"), "0");
        }
        if (cpu) {
            long period = CgroupV1.CFS_PERIOD_US;
            Cgroups.write(dir.resolve("cpu.max"), Math.max(1000, Math.round(cores * period)) + " " + period);
        }
        if (pidsMax > 0) {
            Cgroups.write(dir.resolve("pids.max"), Long.toString(pidsMax));
        }
        return new Slot() {
            @Override
            public List<Path> procsFiles() {
                return List.of(dir.resolve("cgroup.procs"));
            }

            @Override
            public List<Long> pids() {
                return Cgroups.pidsIn(dir.resolve("cgroup.procs"));
            }

            @Override
            public boolean oomKilled() {
                return Cgroups.field(dir.resolve("memory.events"), "oom_kill") > 0;
            }

            @Override
            public void remove() {
                Cgroups.removeQuietly(dir);
            }
        };
    }

    @Override
    public void close() {
        Cgroups.removeQuietly(session);
    }
}
