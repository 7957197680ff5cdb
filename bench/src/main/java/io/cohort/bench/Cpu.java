package io.cohort.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time from /proc/self/stat: this JVM's own (utime+stime) and that of its waited-for children
 * (cutime+cstime), in milliseconds. Clock ticks are 10 ms, so single short runs are coarse; sums over
 * rounds are not.
 */
final class Cpu {
    private static final double TICK_MS = 10.0;

    record Sample(double selfMs, double childrenMs) {
        Sample minus(Sample o) {
            return new Sample(selfMs - o.selfMs, childrenMs - o.childrenMs);
        }
    }

    private Cpu() {
    }

    static Sample now() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After the command: f[0] is field 3 (state); utime=14, stime=15, cutime=16, cstime=17.
            double self = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_MS;
            double children = (Long.parseLong(f[13]) + Long.parseLong(f[14])) * TICK_MS;
            return new Sample(self, children);
        } catch (IOException | RuntimeException e) {
            return new Sample(Double.NaN, Double.NaN);
        }
    }
}
