package io.cohort;

/** One whole line a worker wrote, without its line ending. */
public record OutputLine(String workerId, Stream stream, String text) {

    /** Which of the worker's output streams a line came from. */
    public enum Stream { STDOUT, STDERR }
}
