package io.cohort.core.kernel;

import java.util.List;

/** A program checked and ready to start: the command line for one worker of a given memory size. */
@FunctionalInterface
public interface PreparedProgram {
    List<String> command(long memoryBytes);
}
