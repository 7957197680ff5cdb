package io.cohort.core.backend;

import io.cohort.OutputLine;
import java.util.List;

/**
 * Where a backend reports what happens to one worker. Calls for one worker come in this order:
 * any number of {@code waiting}, {@code placed}, {@code running}, any number of {@code output}, then
 * one of {@code exited} or {@code failedToStart}. Every output line is reported before the exit.
 * A worker stopped before it started (a job cancelled while it waited) reports {@code exited} alone.
 */
public interface WorkerSink {
    /**
     * It waits for its engine to place it, and why (e.g. "pending in Slurm's queue: Resources");
     * called again when the reason changes.
     */
    default void waiting(String why) {
    }

    /** Where the worker will run, the GPUs it holds, and how its limits are enforced. */
    void placed(String ipAddress, List<Integer> gpus, List<String> notes);

    /** Its program started. */
    void running(long pid);

    /**
     * Whole lines of its output, in order, all of one stream: as many as the backend read at once
     * (a program that writes fast gives thousands per call, and the session pays once per call).
     */
    void output(OutputLine.Stream stream, List<String> lines);

    /** One whole line of its output. */
    default void output(OutputLine.Stream stream, String line) {
        output(stream, List.of(line));
    }

    /** Its program ended; {@code reason} explains an abnormal end (e.g. out of memory), else null. */
    void exited(int exitCode, String reason);

    /** It never ran. */
    void failedToStart(String reason);
}
