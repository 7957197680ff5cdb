package io.cohort.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** cgroup v1: a memory folder (limit, OOM count) and, where writable, a cpu folder (CFS quota). */
final class CgroupV1 implements Cgroups {
    static final long CFS_PERIOD_US = 100_000;
    private final Path memory;
    private final Path cpu;

    private CgroupV1(Path memory, Path cpu) {
        this.memory = memory;
        this.cpu = cpu;
    }

    static Optional<Cgroups> open(String sessionId) {
        Optional<Path> memory = Cgroups.ownCgroup("cgroup", "memory").map(p -> p.resolve("cohort-" + sessionId));
        if (memory.isEmpty() || !makeDir(memory.get())) {
            return Optional.empty();
        }
        Path cpu = Cgroups.ownCgroup("cgroup", "cpu").map(p -> p.resolve("cohort-" + sessionId)).orElse(null);
        if (cpu != null && !makeDir(cpu)) {
            cpu = null;
        }
        return Optional.of(new CgroupV1(memory.get(), cpu));
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
    public List<Path> sessionDirectories() {
        return cpu == null ? List.of(memory) : List.of(memory, cpu);
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
