package io.cohort.core;

import io.cohort.OutputLine;
import io.cohort.Worker;

/** One entry of the session's ordered event stream; everything that shows or waits reads it. */
public sealed interface WorkerEvent {
    /** A worker changed (created, placed, started, ended); {@code worker} is its new description. */
    record Changed(Worker worker) implements WorkerEvent {
    }

    /**
     * A worker wrote lines: consecutive lines of one of its streams, in order (one or many, as its
     * backend read them).
     *
     * @param workerId the worker
     * @param stream   the stream they were written to
     * @param texts    the lines, without their line ends
     */
    record Output(String workerId, OutputLine.Stream stream, java.util.List<String> texts) implements WorkerEvent {
        /** One line. */
        public Output(OutputLine line) {
            this(line.workerId(), line.stream(), java.util.List.of(line.text()));
        }
    }
}
