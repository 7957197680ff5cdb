package io.cohort.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A session console that prints nothing and notes, for each worker, when its program's first line
 * (one starting with "hello") reached the console ({@code "[w3] hello 123"}) and what it said.
 * Other lines (a JVM warning, say) are counted, not timed. Event driven: the session's console
 * thread calls println, and waiters are woken at once.
 */
final class LineClock extends PrintStream {
    record Line(long nanos, String text) {
    }

    private final Map<String, Line> first = new ConcurrentHashMap<>();
    private final java.util.List<String> others = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    LineClock() {
        super(OutputStream.nullOutputStream(), false);
    }

    @Override
    public void println(String s) {
        long t = System.nanoTime();
        if (s != null && s.startsWith("[")) {
            int end = s.indexOf("] ");
            if (end > 0) {
                String text = s.substring(end + 2);
                if (!text.startsWith("hello")) {
                    if (!text.startsWith("-- ")) {
                        others.add(s);
                    }
                } else {
                    first.putIfAbsent(s.substring(1, end), new Line(t, text));
                    synchronized (lock) {
                        lock.notifyAll();
                    }
                }
            }
        }
    }

    @Override
    public void println(Object o) {
        println(String.valueOf(o));
    }

    /** The first stdout line of the worker, or null on timeout. */
    Line await(String workerId, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (true) {
                Line l = first.get(workerId);
                if (l != null) {
                    return l;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    /** Output lines that were not the program's own (JVM warnings and the like). */
    java.util.List<String> others() {
        return others;
    }

    Line get(String workerId) {
        return first.get(workerId);
    }
}
