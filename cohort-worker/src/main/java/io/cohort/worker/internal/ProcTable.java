package io.cohort.worker.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read of Linux's process table (/proc): who belongs to which session and group, and how much
 * memory each holds. Shared by local workers and the remote agent (see {@link ProcessTree}).
 */
public final class ProcTable {
    private static final Path PROC = Path.of("/proc");
    private static final long PAGE_SIZE = 4096;

    /** The kernel's clock ticks per second (USER_HZ), in which /proc counts CPU time: 100 on every Linux that cohort runs on. */
    public static final double TICKS_PER_SECOND = 100;

    /**
     * One live (not zombie) process; {@code parent} is its parent's pid; {@code cpuTicks} its user and
     * system CPU time so far, in {@link #TICKS_PER_SECOND}.
     */
    public record Entry(long pid, long parent, long processGroup, long session, long rssBytes, long cpuTicks) {
    }

    private ProcTable() {
    }

    /** Every live process now; empty where there is no /proc. */
    public static List<Entry> read() {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isNumber(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                Entry e = entry(dir);
                if (e != null) {
                    entries.add(e);
                }
            }
        } catch (IOException e) {
            // /proc is always there on Linux; without it, nothing can be found.
        }
        return entries;
    }

    /** True when the process's environment holds exactly {@code name=value}. */
    public static boolean hasVariable(long pid, String assignment) {
        try {
            byte[] env = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
            byte[] want = assignment.getBytes(StandardCharsets.UTF_8);
            int start = 0;
            for (int i = 0; i <= env.length; i++) {
                if (i == env.length || env[i] == 0) {
                    if (i - start == want.length && java.util.Arrays.equals(env, start, i, want, 0, want.length)) {
                        return true;
                    }
                    start = i + 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone, or not ours to read.
        }
        return false;
    }

    /** Every process below {@code root} in {@code table}: its children, theirs, and so on. */
    public static Set<Long> descendants(List<Entry> table, long root) {
        Map<Long, List<Long>> children = new HashMap<>();
        for (Entry e : table) {
            children.computeIfAbsent(e.parent(), k -> new ArrayList<>()).add(e.pid());
        }
        Set<Long> found = new HashSet<>();
        ArrayDeque<Long> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            for (long child : children.getOrDefault(todo.pop(), List.of())) {
                if (found.add(child)) {
                    todo.push(child);
                }
            }
        }
        return found;
    }

    private static Entry entry(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.US_ASCII);
            // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) {
                return null;
            }
            long pid = Long.parseLong(dir.getFileName().toString());
            return new Entry(pid, Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[21]) * PAGE_SIZE,
                    Long.parseLong(f[11]) + Long.parseLong(f[12]));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
