package io.cohort.worker.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A worker's process tree, and the one way cohort ends it: SIGTERM to every process of the tree,
 * then, once the grace period has run out, SIGKILL to whatever is left, again and again until
 * nothing is left (a process that forks while it is being killed is caught on the next round).
 *
 * <p>What the tree holds is its owner's to say: a local worker's tree is its cgroups, or its
 * process group and session, its marked processes and its pid namespace ({@code LocalWorker}); the
 * remote agent's is the program it started as the leader of a process group of its own
 * ({@link #ofLeader}). Processes that are gone, and this JVM itself, are never signalled.
 */
public final class ProcessTree {
    /** The signals a stop sends, in the order it sends them. */
    public enum Signal {
        TERM, KILL
    }

    /** How long to wait between two looks at the tree. */
    private static final long ROUND_MILLIS = 20;
    /** SIGKILL rounds before giving up on a tree that will not empty (2 s). */
    private static final int KILL_ROUNDS = 100;

    private final Supplier<Set<Long>> members;
    /** The process group signalled as a whole too (atomically, by the kernel), or -1. */
    private final long group;

    private ProcessTree(Supplier<Set<Long>> members, long group) {
        this.members = members;
        this.group = group;
    }

    /** A tree whose live processes {@code members} finds each time it is asked. */
    public static ProcessTree of(Supplier<Set<Long>> members) {
        return new ProcessTree(members, -1);
    }

    /**
     * The tree of a process started as the leader of a session and process group of its own
     * ({@code setsid}): the leader, everything in its group or session, and every descendant of the
     * leader (also those that started sessions of their own). A process once found stays in the
     * tree while it lives, even when its parent's end made it an orphan elsewhere. Each signal also
     * goes to the group as a whole, so that a process forked while the table was read gets it too.
     */
    public static ProcessTree ofLeader(ProcessHandle leader) {
        long root = leader.pid();
        // Handles, not pids: a handle knows its process's start time, so a reused pid is not taken for it.
        Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();
        return new ProcessTree(() -> {
            List<ProcTable.Entry> table = ProcTable.read();
            Set<Long> live = new HashSet<>();
            table.forEach(e -> live.add(e.pid()));
            Set<Long> pids = new TreeSet<>(ProcTable.descendants(table, root));
            for (ProcTable.Entry e : table) {
                if (e.pid() == root || e.processGroup() == root || e.session() == root) {
                    pids.add(e.pid());
                }
            }
            if (table.isEmpty()) {
                // No /proc: what the JDK sees of the tree.
                leader.descendants().forEach(h -> pids.add(h.pid()));
                if (leader.isAlive()) {
                    pids.add(root);
                }
            }
            // Zombies are not in the table: an orphan's zombie that nobody reaps is not waited for.
            seen.removeIf(h -> !h.isAlive() || !(table.isEmpty() || live.contains(h.pid())));
            seen.forEach(h -> pids.add(h.pid()));
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(seen::add));
            return pids;
        }, root);
    }

    /** The tree's live processes now, without this JVM. */
    public Set<Long> members() {
        Set<Long> pids = new TreeSet<>(members.get());
        pids.remove(ProcessHandle.current().pid());
        pids.removeIf(p -> ProcessHandle.of(p).isEmpty());
        return pids;
    }

    /** True when nothing of the tree is left. */
    public boolean isEmpty() {
        return members().isEmpty();
    }

    /** Sends {@code signal} to every process of the tree (and to its group, if it has one). */
    public void signal(Signal signal) {
        if (group > 0) {
            signalGroup(signal);
        }
        for (long pid : members()) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (signal == Signal.KILL) {
                    h.destroyForcibly();
                } else {
                    h.destroy();
                }
            });
        }
    }

    /**
     * Ends the tree here: SIGTERM now, SIGKILL to what is left when the grace has run out (at once
     * for a zero grace). Returns the signal that ended it: {@link Signal#TERM} when the tree was
     * gone within the grace, else {@link Signal#KILL}.
     */
    public Signal stop(Duration grace) {
        signal(Signal.TERM);
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline) {
            if (isEmpty()) {
                return Signal.TERM;
            }
            pause(ROUND_MILLIS);
        }
        if (isEmpty()) {
            return Signal.TERM;
        }
        kill();
        return Signal.KILL;
    }

    /** SIGKILL until nothing of the tree is left (for at most two seconds); true when nothing is. */
    public boolean kill() {
        for (int round = 0; round < KILL_ROUNDS; round++) {
            if (isEmpty()) {
                return true;
            }
            signal(Signal.KILL);
            pause(ROUND_MILLIS);
        }
        return isEmpty();
    }

    /** The whole group at once, as the kernel does it; without a kill command its members get it one by one. */
    private void signalGroup(Signal signal) {
        try {
            new ProcessBuilder("kill", "-" + signal.name(), "--", "-" + group).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            // No kill command: the members are signalled one by one.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
