package io.cohort.core;

import io.cohort.OutputLine;
import io.cohort.Worker;

/** One entry of the session's ordered event stream; everything that shows or waits reads it. */
public sealed interface WorkerEvent {
    /** A worker changed (created, placed, started, ended); {@code worker} is its new description. */
    record Changed(Worker worker) implements WorkerEvent {
    }

    /** A worker wrote a line. */
    record Output(OutputLine line) implements WorkerEvent {
    }
}
