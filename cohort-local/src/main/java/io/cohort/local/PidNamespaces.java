package io.cohort.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pid namespace per worker, where no cgroup holds its tree (no writable cgroups: most users are
 * not root). The worker's first process is {@code unshare --pid --fork --kill-child --mount-proc}:
 * its child is the namespace's init, a shell that runs the program, waits for it and exits with its
 * status. When that init ends -- the program ended, or unshare was killed (a stop, the guard after
 * the session's JVM died) -- the kernel kills every process left in the namespace, including
 * children that started sessions of their own and cleared their environment, which no process
 * group, session or environment mark finds. Without root the namespace comes from an unprivileged
 * user namespace that maps the user to itself ({@code --map-current-user}); root needs none.
 *
 * <p>Detected once per session by starting a namespace; where none can be made, workers run as
 * before and their notes say what is not held.
 */
final class PidNamespaces {
    static final String SETTING = "local.pidNamespace";
    private static final List<String> PID_NAMESPACE = List.of("--pid", "--fork", "--kill-child", "--mount-proc",
            "--propagation", "slave");
    /** Root first (no user namespace: its capabilities stay real, set-uid programs keep working), then an unprivileged user. */
    private static final List<List<String>> CANDIDATES = List.of(
            prepend(List.of("unshare"), PID_NAMESPACE),
            prepend(List.of("unshare", "--user", "--map-current-user"), PID_NAMESPACE));
    private static final long PROBE_SECONDS = 10;

    private final List<String> prefix;
    private final String note;

    private PidNamespaces(List<String> prefix, String note) {
        this.prefix = prefix;
        this.note = note;
    }

    /**
     * What this session's workers get: nothing where cgroups hold their trees, else a pid namespace
     * each when {@code wanted} (local.pidNamespace=auto, the default) and the host allows one.
     */
    static PidNamespaces detect(boolean wanted, boolean cgroupsHoldTrees) {
        if (cgroupsHoldTrees) {
            return new PidNamespaces(List.of(), null);
        }
        if (!wanted) {
            return new PidNamespaces(List.of(), unheld(SETTING + "=off"));
        }
        String failure = "unshare not tried";
        // Only root may make a pid namespace without a user namespace: others skip that probe.
        for (List<String> candidate : isRoot() ? CANDIDATES : CANDIDATES.subList(1, CANDIDATES.size())) {
            failure = probe(candidate);
            if (failure == null) {
                boolean user = candidate.contains("--user");
                return new PidNamespaces(candidate, "tree held by a pid namespace of its own"
                        + (user ? ", in a user namespace that maps you to yourself" : "")
                        + " (no writable cgroups): every process it starts ends with it");
            }
        }
        return new PidNamespaces(List.of(), unheld("no pid namespace: " + failure));
    }

    /** The command words that start a worker's first process in a namespace of its own; empty for none. */
    List<String> prefix() {
        return prefix;
    }

    /** For the workers' notes; null where cgroups hold the trees. */
    String note() {
        return note;
    }

    private static String unheld(String why) {
        return "tree not held by cgroups or a pid namespace (" + why + "): a child that starts a session of its own"
                + " and clears its environment (setsid env -i ...) can outlive the worker and the session";
    }

    /** Null when {@code candidate} makes a pid namespace whose first process is pid 1; else why not. */
    private static String probe(List<String> candidate) {
        List<String> command = new ArrayList<>(candidate);
        command.addAll(List.of("/bin/sh", "-c", "[ $$ = 1 ] || { echo 'not pid 1 in the new namespace' >&2; exit 1; }"));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", candidate) + " did not answer in " + PROBE_SECONDS + " s";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() == 0) {
                return null;
            }
            return String.join(" ", candidate) + " failed" + (out.isEmpty() ? " (exit " + p.exitValue() + ")"
                    : ": " + out.lines().findFirst().orElse(""));
        } catch (IOException e) {
            return "cannot run unshare (util-linux): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Whether this JVM's effective uid is 0 (the second number of /proc/self/status's Uid: line). */
    private static boolean isRoot() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unknown: try every candidate.
        }
        return true;
    }

    private static List<String> prepend(List<String> head, List<String> tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(tail);
        return List.copyOf(all);
    }
}
