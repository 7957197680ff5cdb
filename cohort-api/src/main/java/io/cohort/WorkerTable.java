package io.cohort;

import java.util.List;

/** Renders workers as a fixed-width table for a console. */
public final class WorkerTable {
    private WorkerTable() {
    }

    public static String render(List<Worker> workers) {
        StringBuilder s = new StringBuilder(String.format("%-6s %-10s %-16s %5s %7s %-8s %6s %8s  %s%n",
                "ID", "STATUS", "IP", "CPU", "MEM_GB", "KERNEL", "EXIT", "SECONDS", "RUNS"));
        for (Worker w : workers) {
            s.append(String.format("%-6s %-10s %-16s %5s %7s %-8s %6s %8.1f  %s%s%n",
                    w.id(), w.status().label(), w.ipAddress(), w.cpu(), w.memoryGb(), w.kernel(),
                    w.exitCode() == null ? "-" : w.exitCode(), w.duration().toMillis() / 1000.0, w.runs(),
                    w.reason() == null ? "" : "  (" + w.reason() + ")"));
        }
        return s.toString();
    }
}
