package io.cohort;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a worker runs its script or code with. */
public enum Kernel {
    /** Java: a {@code .java} file, a class with a main method, or plain statements. Compiled once per launch. */
    JAVA("java", ".java"),
    /** JShell: a {@code .jsh} script or snippets. */
    JSHELL("jshell", ".jsh"),
    /** Python 3: a {@code .py} script or code, run with {@code python3}. */
    PYTHON3("python3", ".py"),
    /** R: an {@code .R} script or code, run with {@code Rscript}. */
    R("r", ".r"),
    /** A shell command line (or a {@code .sh} script), run with {@code /bin/sh}. */
    SHELL("shell", ".sh");

    private final String label;
    private final String extension;

    Kernel(String label, String extension) {
        this.label = label;
        this.extension = extension;
    }

    /** The name users type: java, jshell, python3, r, shell. */
    public String label() {
        return label;
    }

    /** Parses a kernel name; accepts the reference's names and a few common aliases. */
    public static Kernel of(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("kernel must be one of " + names() + ", got nothing");
        }
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "java": return JAVA;
            case "jshell": return JSHELL;
            case "python3": case "python": case "py": return PYTHON3;
            case "r": case "rscript": return R;
            case "shell": case "sh": case "bash": return SHELL;
            default:
                throw new IllegalArgumentException("kernel must be one of " + names() + ", got '" + name + "'");
        }
    }

    /** The kernel a script file's extension implies. */
    public static Kernel forScript(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        for (Kernel k : values()) {
            if (lower.endsWith(k.extension)) {
                return k;
            }
        }
        throw new IllegalArgumentException("cannot tell the kernel of script '" + path
                + "' from its extension (.java, .jsh, .py, .R, .sh); name the kernel, e.g. Program.script(Kernel.PYTHON3, path)");
    }

    static String names() {
        return Arrays.stream(values()).map(Kernel::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
