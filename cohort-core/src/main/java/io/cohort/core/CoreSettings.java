package io.cohort.core;

import io.cohort.SessionOptions;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.store.Durability;
import java.util.ArrayList;
import java.util.List;

/**
 * The session's own settings (README, "Settings"), read and checked once when a session opens; a
 * bad value is refused then, naming the setting, where it can be set, and what it accepts. Each is
 * KEY: a builder setting, {@code -Dcohort.KEY}, {@code COHORT_KEY} (dots as underscores, upper
 * case) or a line of the config file.
 *
 * @param sessionId        the session's id (sessionId; {@code cohort serve --id}), or null for a random one
 * @param durability       what a confirmed write survives (durability: commit, fsync or off)
 * @param maxRequestBytes  the largest JSON body the control plane takes (maxRequestBytes)
 * @param snapshotMaxBytes the largest snapshot (snapshotMaxBytes)
 * @param python3          the python3 kernel's interpreter (kernel.python3), found on PATH at launch unless a path
 * @param rscript          the r kernel's Rscript (kernel.r)
 * @param shell            the shell kernel's shell (kernel.shell)
 * @param javaOptions      extra JVM options for Java workers (java.options), split at spaces
 * @param printDashboard   whether the session prints its dashboard's URL on its console when it opens
 *                         (dashboard.print: on or off; {@code cohort serve} prints it on stderr instead)
 * @param javaWarmUp       whether the session warms the Java compiler up in the background when it opens
 *                         (java.warmUp: on or off; off in {@code cohort serve} unless set): the first Java
 *                         launch is then about 300 ms faster, for about 50 MB of the session's memory
 */
public record CoreSettings(String sessionId, Durability durability, long maxRequestBytes, long snapshotMaxBytes,
                           String python3, String rscript, String shell, List<String> javaOptions, boolean printDashboard,
                           boolean javaWarmUp) {

    public CoreSettings {
        javaOptions = List.copyOf(javaOptions);
    }

    public static CoreSettings from(SessionOptions o) {
        String id = o.setting("sessionId", null);
        if (id != null && !id.matches("[A-Za-z0-9_-]{1,40}")) {
            throw new IllegalArgumentException(where("sessionId") + " must be 1 to 40 letters, digits, '-' or '_'"
                    + " (cohort serve --id sets it), got '" + id + "'");
        }
        String durability = o.setting("durability", "commit");
        Durability d;
        try {
            d = Durability.of(durability);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where("durability") + " must be commit, fsync or off, got '" + durability + "'");
        }
        String print = o.setting("dashboard.print", "on");
        if (!print.equals("on") && !print.equals("off")) {
            throw new IllegalArgumentException(where("dashboard.print") + " must be on or off, got '" + print + "'");
        }
        return new CoreSettings(id, d, bytes(o, "maxRequestBytes", 16L << 20, 1024),
                bytes(o, "snapshotMaxBytes", 2L << 30, 1), command(o, "kernel.python3", "python3"),
                command(o, "kernel.r", "Rscript"), command(o, "kernel.shell", "/bin/sh"), split(o.setting("java.options", "")),
                print.equals("on"), onOff(o, "java.warmUp", "on"));
    }

    private static boolean onOff(SessionOptions o, String key, String fallback) {
        String v = o.setting(key, fallback);
        if (!v.equals("on") && !v.equals("off")) {
            throw new IllegalArgumentException(where(key) + " must be on or off, got '" + v + "'");
        }
        return v.equals("on");
    }

    private static String where(String key) {
        return BackendContext.where(key);
    }

    private static long bytes(SessionOptions o, String key, long fallback, long least) {
        String v = o.setting(key, null);
        if (v == null) {
            return fallback;
        }
        try {
            // Whole numbers, also written as 1e6 or 16777216.0.
            double d = Double.parseDouble(v);
            if (d >= least && d <= Long.MAX_VALUE && d == Math.rint(d)) {
                return (long) d;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(where(key) + " must be a whole number of bytes, at least " + least + ", got '" + v + "'");
    }

    private static String command(SessionOptions o, String key, String fallback) {
        String v = o.setting(key, fallback);
        if (v.isBlank() || v.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(where(key) + " must name a program (on PATH, or a path), got '" + v + "'");
        }
        return v.strip();
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }
}
