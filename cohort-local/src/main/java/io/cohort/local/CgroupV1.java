package io.cohort.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * cgroup v1: a memory folder (limit, OOM count) and, where writable, a cpu folder (CFS quota) and a
 * pids folder (the limit of processes and threads).
 */
final class CgroupV1 implements Cgroups {
    static final long CFS_PERIOD_US = 100_000;
    private final Path memory;
    private final Path cpu;
    private final Path pids;
    private final long pidsMax;

    private CgroupV1(Path memory, Path cpu, Path pids, long pidsMax) {
        this.memory = memory;
        this.cpu = cpu;
        this.pids = pids;
        this.pidsMax = pidsMax;
    }

    static Optional<Cgroups> open(String sessionId, long pidsMax) {
        Optional<Path> memory = Cgroups.ownCgroup("cgroup", "memory").map(p -> p.resolve("cohort-" + sessionId));
        if (memory.isEmpty() || !makeDir(memory.get())) {
            return Optional.empty();
        }
        Path cpu = Cgroups.ownCgroup("cgroup", "cpu").map(p -> p.resolve("cohort-" + sessionId)).orElse(null);
        if (cpu != null && !makeDir(cpu)) {
            cpu = null;
        }
        Path pids = pidsMax <= 0 ? null
                : Cgroups.ownCgroup("cgroup", "pids").map(p -> p.resolve("cohort-" + sessionId)).orElse(null);
        if (pids != null && !makeDir(pids)) {
            pids = null;
        }
        return Optional.of(new CgroupV1(memory.get(), cpu, pids, pidsMax));
    }

    private static boolean makeDir(Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.exists(dir.resolve("cgroup.procs"));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "cgroup v1";
    }

    @Override
    public boolean enforcesMemory() {
        return true;
    }

    @Override
    public boolean enforcesCpu() {
        return cpu != null;
    }

    @Override
    public long pidsLimit() {
        return pids == null ? 0 : pidsMax;
    }

    @Override
    public List<Path> sessionDirectories() {
        List<Path> dirs = new ArrayList<>(List.of(memory));
        if (cpu != null) {
            dirs.add(cpu);
        }
        if (pids != null) {
            dirs.add(pids);
        }
        return dirs;
    }

    @Override
    public Slot create(String workerId, double cores, long memoryBytes) throws IOException {
        Path mem = Files.createDirectories(memory.resolve(workerId));
        Cgroups.write(mem.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
        if (Files.exists(mem.resolve("memory.memsw.limit_in_bytes"))) {
            try {
                Cgroups.write(mem.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
            } catch (IOException noSwapAccounting) {
                // Without swap accounting the memory limit alone holds.
            }
        }
        List<Path> dirs = new ArrayList<>(List.of(mem));
        if (cpu != null) {
            Path c = Files.createDirectories(cpu.resolve(workerId));
            Cgroups.write(c.resolve("cpu.cfs_period_us"), Long.toString(CFS_PERIOD_US));
            Cgroups.write(c.resolve("cpu.cfs_quota_us"), Long.toString(Math.max(1000, Math.round(cores * CFS_PERIOD_US))));
            dirs.add(c);
        }
        if (pids != null) {
            Path p = Files.createDirectories(pids.resolve(workerId));
            Cgroups.write(p.resolve("pids.max"), Long.toString(pidsMax));
            dirs.add(p);
        }
        return new Slot() {
            @Override
            public List<Path> procsFiles() {
                return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
            }

            @Override
            public List<Long> pids() {
                return Cgroups.pidsIn(mem.resolve("cgroup.procs"));
            }

            @Override
            public boolean oomKilled() {
                return Cgroups.field(mem.resolve("memory.oom_control"), "oom_kill") > 0;
            }

            @Override
            public void remove() {
                dirs.forEach(Cgroups::removeQuietly);
            }
        };
    }

    @Override
    public void close() {
        sessionDirectories().forEach(Cgroups::removeQuietly);
    }
}
