package io.cohort.worker.agent;

import io.cohort.worker.internal.ProcessTree;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The worker's program as the agent runs it: the leader of a process group and session of its own
 * ({@code setsid}), so that a stop reaches its whole tree ({@link ProcessTree#ofLeader}). Stops
 * return at once: SIGTERM now, SIGKILL after the grace on a thread of their own.
 */
final class ProgramTree {
    private final Process process;
    private final ProcessTree tree;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private ProgramTree(Process process) {
        this.process = process;
        this.tree = ProcessTree.ofLeader(process.toHandle());
    }

    /** Starts {@code command} in {@code directory} with exactly {@code env}, its stdin /dev/null. */
    static ProgramTree start(List<String> command, File directory, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(withSetsid(command)).directory(directory)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        return new ProgramTree(pb.start());
    }

    Process process() {
        return process;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** True once a stop was ordered ({@link #stopOnce}). */
    boolean stopping() {
        return stopping.get();
    }

    /** The first stop ordered (by the session, or because the agent cannot go on) is the one carried out. */
    void stopOnce(Duration grace) {
        if (stopping.compareAndSet(false, true)) {
            stop(grace);
        }
    }

    /** SIGTERM to the whole tree now, SIGKILL to what is left after the grace; returns at once. */
    void stop(Duration grace) {
        Agent.daemon("cohort-agent-stop", () -> tree.stop(grace)).start();
    }

    /** SIGKILL to whatever is left of the tree, now. */
    void kill() {
        tree.kill();
    }

    /** The program's exit code, once it has exited; an interrupt does not end the wait. */
    int waitFor() {
        while (true) {
            try {
                return process.waitFor();
            } catch (InterruptedException e) {
                // The agent has nothing else to do; keep waiting for its program.
            }
        }
    }

    /** Runs the program as the leader of its own process group, so a stop reaches all of its tree. */
    private static List<String> withSetsid(List<String> command) {
        for (String setsid : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
            if (new File(setsid).canExecute()) {
                List<String> c = new ArrayList<>();
                c.add(setsid);
                c.addAll(command);
                return c;
            }
        }
        return command;
    }
}
