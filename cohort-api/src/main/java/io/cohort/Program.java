package io.cohort;

import java.util.Objects;

/**
 * What a worker runs as soon as it starts: a script file or a piece of code, in a kernel.
 *
 * <p>{@code Program.code("System.out.println(1)")} is Java; a leading {@code !} means a shell
 * command, as in the reference ({@code Program.code("!hostname")}). {@code Program.script("train.py")}
 * picks the kernel from the file's extension. A relative script path is found from the session's
 * working directory.
 */
public record Program(Kernel kernel, String script, String code) {

    public Program {
        Objects.requireNonNull(kernel, "kernel");
        if ((script == null) == (code == null)) {
            throw new IllegalArgumentException("give exactly one of script or code, got "
                    + (script == null ? "neither" : "both"));
        }
        if (script != null && script.isBlank()) {
            throw new IllegalArgumentException("script must be a file path, got a blank string");
        }
        if (code != null && code.isBlank()) {
            throw new IllegalArgumentException("code must not be blank");
        }
    }

    /** Java code (statements or a class with a main method); a leading '!' makes it a shell command. */
    public static Program code(String code) {
        return code(Kernel.JAVA, code);
    }

    /**
     * Code in the given kernel; a leading '!' still means a shell command (each line's '!' is
     * removed when every line has one). python3 code keeps its kernel: as in the reference's engines,
     * its '!' lines are shell commands wherever they stand, mixed with Python or not.
     */
    public static Program code(Kernel kernel, String code) {
        Objects.requireNonNull(code, "code");
        if (kernel != Kernel.PYTHON3 && code.startsWith("!")) {
            String commands = shellCommands(code);
            return new Program(Kernel.SHELL, null, commands != null ? commands : code.substring(1));
        }
        return new Program(kernel, null, code);
    }

    /**
     * The shell commands of code whose every non-blank line is a '!cmd' line (without the '!'s), or
     * null when some line is not one ('!!', IPython's capture, is not).
     */
    public static String shellCommands(String code) {
        StringBuilder out = new StringBuilder();
        for (String line : code.lines().toList()) {
            String t = line.strip();
            if (t.isEmpty()) {
                continue;
            }
            if (!t.startsWith("!") || t.startsWith("!!")) {
                return null;
            }
            out.append(t.substring(1)).append('\n');
        }
        return out.isEmpty() ? null : out.toString();
    }

    /** A shell command line, run with /bin/sh -c. */
    public static Program shell(String command) {
        return new Program(Kernel.SHELL, null, command);
    }

    /** A script file; the kernel comes from its extension (.java, .jsh, .py, .R, .sh). */
    public static Program script(String path) {
        Objects.requireNonNull(path, "script");
        return new Program(Kernel.forScript(path), path, null);
    }

    /** A script file run with the given kernel. */
    public static Program script(Kernel kernel, String path) {
        return new Program(kernel, path, null);
    }

    /** A short human description: the script path, or the first line of the code. */
    public String describe() {
        if (script != null) {
            return script;
        }
        String first = code.strip().lines().findFirst().orElse("");
        String shown = first.length() > 60 ? first.substring(0, 57) + "..." : first;
        boolean more = code.strip().lines().count() > 1 || first.length() > 60;
        return (kernel == Kernel.SHELL ? "!" : "") + shown + (more && !shown.endsWith("...") ? " ..." : "");
    }
}
