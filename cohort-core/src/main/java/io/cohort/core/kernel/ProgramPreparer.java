package io.cohort.core.kernel;

import io.cohort.CohortException;
import io.cohort.Kernel;
import io.cohort.Program;
import io.cohort.core.CoreSettings;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The kernel table: turns a {@link Program} into the command line a worker runs. Everything that
 * can fail is checked here, once per launch and before any worker starts: the interpreter exists,
 * the script exists, the source compiles (Java) or parses (Python, R, shell).
 */
public final class ProgramPreparer {
    private final Path workingDirectory;
    private final CoreSettings settings;
    private final Path pythonRunner;
    /**
     * What this session compiled, by a digest of the source and the class path: launching the same
     * code again, or an unchanged script, reuses its classes instead of running javac again (about
     * 20 ms of the session's CPU per launch in a warm session, and most of it when many launches come).
     */
    private final java.util.Map<String, JavaCompilation.Compiled> compiled = new java.util.concurrent.ConcurrentHashMap<>();
    /** The class-path jar written for each class path, by the class path ({@link #runClassPath}). */
    private final java.util.Map<String, String> classPathJars = new java.util.concurrent.ConcurrentHashMap<>();
    /** A class path of more entries than this runs through a class-path jar. */
    private static final int MANIFEST_CLASS_PATH_FROM = 8;

    /** @param pythonRunner the clients' cohort_run.py, which python3 workers run their program with */
    public ProgramPreparer(Path workingDirectory, CoreSettings settings, Path pythonRunner) {
        this.workingDirectory = workingDirectory;
        this.settings = settings;
        this.pythonRunner = pythonRunner;
    }

    /** Starts warming the Java compiler up in the background (once per JVM). */
    public void warmUp() {
        JavaCompilation.warmUpInBackground(workerClassPath());
    }

    /** Checks and prepares a program; {@code launchDir} receives generated sources and classes. */
    public PreparedProgram prepare(Program program, Path launchDir) {
        Path script = program.script() == null ? null : existingScript(program.script());
        return switch (program.kernel()) {
            case JAVA -> java(program, script, launchDir);
            case JSHELL -> jshell(program, script, launchDir);
            case PYTHON3 -> python(program, script, launchDir);
            case R -> r(program, script, launchDir);
            case SHELL -> shell(program, script);
        };
    }

    /** The class path workers' Java code compiles and runs against: the session's, plus cohort-worker. */
    public static String workerClassPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        try {
            var source = io.cohort.worker.Cohort.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                entries.add(Path.of(source.getLocation().toURI()).toString());
            }
        } catch (Exception e) {
            // The worker library is then only there if the session's class path has it.
        }
        return String.join(File.pathSeparator, entries);
    }

    private PreparedProgram java(Program program, Path script, Path launchDir) {
        String classPath = workerClassPath();
        String key = compileKey(script != null ? "script " + script.toAbsolutePath() : "code", script != null
                ? readBytes(script) : program.code().getBytes(StandardCharsets.UTF_8), classPath);
        JavaCompilation.Compiled earlier = compiled.get(key);
        JavaCompilation.Compiled compiled = earlier != null && Files.isDirectory(earlier.classes()) ? earlier
                : script != null ? JavaCompilation.compileScript(script, launchDir, classPath)
                : JavaCompilation.compileCode(program.code(), launchDir, classPath);
        this.compiled.put(key, compiled);
        String java = javaHomeTool("java");
        String runPath = compiled.classes() + File.pathSeparator + runClassPath(classPath, launchDir.getParent());
        // In a worker's cgroup (1 core, a small heap) the JVM would pick SerialGC, which on JDK 17 also
        // turns off part of the class-data sharing archive: G1 starts 32 hello-world workers about
        // 1.4x faster (bench/FanOut). No perf-data file in /tmp per worker either. The user's options
        // come after, so they win.
        List<String> extra = new ArrayList<>(List.of("-XX:+UseG1GC", "-XX:-UsePerfData"));
        extra.addAll(settings.javaOptions());
        return memory -> {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.add("-Xmx" + heapMb(memory, 0.75) + "m");
            cmd.addAll(extra);
            cmd.add("-cp");
            cmd.add(runPath);
            cmd.add(compiled.mainClass());
            return cmd;
        };
    }

    /**
     * The class path a Java worker runs with: the session's as it is when it is short, else one jar whose
     * manifest lists it ({@code Class-Path}, as surefire's "manifest-only jar"), written once per
     * session into {@code directory}. A JVM started with a long {@code -cp} pays for every entry before
     * its main runs: with cohort's 160 library jars about 11 ms of CPU per worker, a third of a
     * hello-world JVM (BENCHMARKS.md, 2); entries listed in a manifest are opened only when a class is
     * looked up past the entries before them. Workers see the same classes, in the same order;
     * {@code java.class.path} in a worker then names the jar.
     */
    private String runClassPath(String classPath, Path directory) {
        String[] entries = classPath.split(File.pathSeparator);
        if (entries.length <= MANIFEST_CLASS_PATH_FROM) {
            return classPath;
        }
        return classPathJars.computeIfAbsent(classPath, cp -> {
            StringBuilder list = new StringBuilder();
            for (String e : entries) {
                list.append(list.length() == 0 ? "" : " ").append(Path.of(e).toUri());
            }
            java.util.jar.Manifest manifest = new java.util.jar.Manifest();
            manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, list.toString());
            Path jar = directory.resolve("worker-classpath-" + compileKey("class path", new byte[0], cp).substring(0, 12) + ".jar");
            try {
                Files.createDirectories(directory);
                Path part = Files.createTempFile(directory, "worker-classpath-", ".part");
                try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(part), manifest)) {
                    out.flush();
                }
                Files.move(part, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new CohortException("cannot write the Java workers' class-path jar " + jar + ": " + e.getMessage()
                        + "; check that the session's directory is writable", e);
            }
            return jar.toString();
        });
    }

    /** A digest of what a compilation depends on: the source's kind and name, its bytes, the class path. */
    private static String compileKey(String what, byte[] source, String classPath) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            d.update(what.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(classPath.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(source);
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CohortException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private PreparedProgram jshell(Program program, Path script, Path launchDir) {
        String jshell = javaHomeTool("jshell");
        // jshell reads its input after the script; ending with /exit makes the worker end with it.
        String body = script != null ? "/open " + script + "\n" : program.code() + "\n";
        Path file = write(launchDir.resolve("main.jsh"), body + "/exit\n");
        String classPath = workerClassPath();
        return memory -> List.of(jshell, "-J-Xmx" + heapMb(memory, 0.25) + "m", "-R-Xmx" + heapMb(memory, 0.45) + "m",
                "--class-path", classPath, "--feedback", "silent", file.toString());
    }

    private PreparedProgram python(Program program, Path script, Path launchDir) {
        String python = Executables.resolve(settings.python3(), "python3", "kernel.python3", "python3");
        if (script == null) {
            // As in the reference's engines: code from an indented triple-quoted string runs, and
            // '!cmd' lines and %magics run through IPython.
            String code = PythonCode.dedent(program.code());
            String shell = Program.shellCommands(code);
            if (shell != null) {
                // Nothing but '!cmd' lines: a shell script, with no need for IPython.
                return shell(Program.shell(shell), null);
            }
            Path file = write(launchDir.resolve("main.py"), code + "\n");
            return checked(python, file, PythonCode.hasShellOrMagicLines(code), "the Python code");
        }
        return checked(python, script, PythonCode.hasShellOrMagicLines(read(script)), "the Python " + what(program));
    }

    /**
     * Checks a Python file (with IPython's transformer when it has '!cmd' lines or %magics), and runs
     * it with the clients' cohort_run.py, as the reference's engines
     * would: its '!' lines and magics work, and a refused connection to the session is tried again
     * while the session is not listening yet (docs/python.md).
     */
    private PreparedProgram checked(String python, Path file, boolean ipython, String what) {
        if (ipython) {
            check(List.of(python, "-c", PythonCode.IPYTHON_CHECK, file.toString()), what + " (with IPython's ! and % lines)");
        } else {
            check(List.of(python, "-c", PythonCode.CHECK, file.toString()), what);
        }
        // The runner's file itself, not -m: runpy alone would add a third to a worker's start.
        String runner = pythonRunner.toString();
        return memory -> List.of(python, "-u", runner, file.toString());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // Unreadable here, or not UTF-8: the parse check that follows says what is wrong.
            return "";
        }
    }

    private PreparedProgram r(Program program, Path script, Path launchDir) {
        String rscript = Executables.resolve(settings.rscript(), "r", "kernel.r", "r-base-core");
        Path file = script != null ? script : write(launchDir.resolve("main.R"), program.code() + "\n");
        check(List.of(rscript, "--vanilla", "-e", "invisible(parse(file=commandArgs(TRUE)[1]))", file.toString()),
                "the R " + what(program));
        return memory -> List.of(rscript, file.toString());
    }

    private PreparedProgram shell(Program program, Path script) {
        String sh = Executables.resolve(settings.shell(), "shell", "kernel.shell", "dash");
        if (script != null) {
            check(List.of(sh, "-n", script.toString()), "the shell " + what(program));
            return memory -> List.of(sh, script.toString());
        }
        check(List.of(sh, "-n", "-c", program.code()), "the shell " + what(program));
        return memory -> List.of(sh, "-c", program.code());
    }

    private Path existingScript(String script) {
        Path p = workingDirectory.resolve(script).normalize();
        if (!Files.isRegularFile(p)) {
            throw new CohortException("script '" + script + "' does not exist (looked for " + p
                    + ", relative to the session's working directory)");
        }
        if (!Files.isReadable(p)) {
            throw new CohortException("script " + p + " is not readable");
        }
        return p;
    }

    private static String what(Program program) {
        return program.script() != null ? "script " + program.script() : "code";
    }

    /** Runs a syntax check; a non-zero exit refuses the launch with the checker's own message. */
    private static void check(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CohortException("checking " + what + " took over 60 s (" + command.get(0) + ")");
            }
            if (p.exitValue() != 0) {
                throw new CohortException(what + " does not parse:\n" + new String(out, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new CohortException("could not run " + command.get(0) + " to check " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while checking " + what, e);
        }
    }

    private static String javaHomeTool(String tool) {
        Path p = Path.of(System.getProperty("java.home"), "bin", tool);
        if (!Files.isExecutable(p)) {
            throw new CohortException("kernel " + tool + " cannot run: " + p + " does not exist. Run the session on a full JDK"
                    + " (Debian: apt-get install openjdk-17-jdk-headless)");
        }
        return p.toString();
    }

    static long heapMb(long memoryBytes, double share) {
        return Math.max(16, (long) (memoryBytes * share / (1024 * 1024)));
    }

    private static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CohortException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
