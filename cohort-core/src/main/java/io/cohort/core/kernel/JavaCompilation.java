package io.cohort.core.kernel;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import io.cohort.CohortException;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles a worker's Java source once per launch, in the session, so each worker starts a plain
 * JVM on a compiled class (about 0.03 s of class loading instead of the source launcher's 0.35 s).
 */
final class JavaCompilation {
    /** Imports given to plain statements, kept on the first line so line numbers stay the user's. */
    private static final String PRELUDE = "import java.util.*; import java.util.function.*; import java.util.stream.*;"
            + " import java.io.*; import java.nio.file.*; import java.net.*; import java.time.*;"
            + " import java.util.concurrent.*; public class CohortMain { public static void main(String[] args) throws Throwable { ";
    private static final Pattern TYPE_DECLARATION = Pattern.compile(
            "(?m)^\\s*(?:(?:public|final|abstract|sealed|static)\\s+)*(?:class|record|interface|enum)\\s+\\w+");

    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^\\s*public\\s+(?:(?:final|abstract|sealed|static)\\s+)*(?:class|record|interface|enum)\\s+(\\w+)");

    private JavaCompilation() {
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Compiles a trivial class once per JVM on a low-priority background thread, so the first Java
     * launch does not pay javac's cold start (class loading, JIT, and opening the class path's jars:
     * 0.75 s on a short class path, 1.1 s on 160 jars; bench/LaunchLatency). Against the workers' class
     * path, so that the launches find its file manager with the jars open.
     */
    static void warmUpInBackground(String classPath) {
        if (ToolProvider.getSystemJavaCompiler() == null || !WARMED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            // A folder of its own, not the session's: the session may be closed and removed before this ends.
            Path scratch;
            try {
                scratch = Files.createTempDirectory("cohort-javac-warm-up-");
            } catch (IOException e) {
                return;
            }
            try {
                compileCode("int unused = 0;", scratch, classPath);
            } catch (RuntimeException e) {
                // Only a warm-up: the real launch reports its own errors.
            } finally {
                deleteTree(scratch);
            }
        }, "cohort-javac-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover scratch folder in the temporary directory is harmless.
        }
    }

    /** Result: the directory of compiled classes and the class to run. */
    record Compiled(Path classes, String mainClass) {
    }

    /** Compiles code: a whole compilation unit when it declares a type with main, else statements. */
    static Compiled compileCode(String code, Path launchDir, String classPath) {
        boolean unit = TYPE_DECLARATION.matcher(code).find() && code.contains("void main");
        String source = unit ? code : PRELUDE + withFinalSemicolon(code) + "\n}}\n";
        // javac wants a public class in a file of its name.
        java.util.regex.Matcher publicType = PUBLIC_TYPE.matcher(code);
        String fileName = !unit ? "CohortMain.java" : publicType.find() ? publicType.group(1) + ".java" : "Main.java";
        Path file = launchDir.resolve("src").resolve(fileName);
        write(file, source);
        return compile(file, launchDir.resolve("classes"), classPath, unit ? "the worker's Java code" : "the worker's Java statements");
    }

    /**
     * Like JShell, a last statement may leave out its semicolon: {@code System.out.println(1)}. The
     * semicolon goes on a line of its own, so a trailing {@code // comment} does not swallow it.
     */
    static String withFinalSemicolon(String statements) {
        String t = statements.stripTrailing();
        return t.isEmpty() || t.endsWith(";") || t.endsWith("}") ? statements : t + "\n;";
    }

    /** Compiles a .java file: its first top-level class with a main method is run, as with 'java File.java'. */
    static Compiled compileScript(Path script, Path launchDir, String classPath) {
        return compile(script, launchDir.resolve("classes"), classPath, "script " + script);
    }

    /**
     * The file manager of the last class path compiled against, kept open: javac opens and indexes every
     * jar of the class path once per file manager (with cohort's 160 library jars, most of a second of a
     * cold compile), so compilations share one, one at a time (a file manager is not thread-safe). A
     * launch that comes while the warm-up compiles waits for it and then finds the jars open, instead of
     * opening them again beside it. Directories on the class path are listed afresh by every compilation.
     */
    private static final Object FILES_LOCK = new Object();
    private static String filesClassPath;
    private static StandardJavaFileManager files;

    private static Compiled compile(Path source, Path classes, String classPath, String what) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new CohortException("the java kernel needs a JDK: this JVM (" + System.getProperty("java.home")
                    + ") has no Java compiler. Run the session on a JDK (Debian: apt-get install openjdk-17-jdk-headless)");
        }
        synchronized (FILES_LOCK) {
            if (files == null || !classPath.equals(filesClassPath)) {
                if (files != null) {
                    try {
                        files.close();
                    } catch (IOException e) {
                        // Only the old class path's jars are left open a little longer.
                    }
                }
                files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
                filesClassPath = classPath;
            }
            return compile(javac, files, source, classes, classPath, what);
        }
    }

    private static Compiled compile(JavaCompiler javac, StandardJavaFileManager files, Path source, Path classes,
                                    String classPath, String what) {
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try {
            Files.createDirectories(classes);
            List<String> options = List.of("-d", classes.toString(), "-cp", classPath, "-proc:none", "-nowarn", "-encoding", "UTF-8");
            StringWriter out = new StringWriter();
            JavacTask task = (JavacTask) javac.getTask(out, files, diagnostics, options, null, files.getJavaFileObjects(source));
            Iterable<? extends CompilationUnitTree> units = task.parse();
            boolean ok = diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == Diagnostic.Kind.ERROR);
            // Read the class names before generating: code generation rewrites the trees.
            String mainClass = ok ? mainClass(units, what) : null;
            if (ok) {
                task.generate();
                ok = diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == Diagnostic.Kind.ERROR);
            }
            if (!ok) {
                throw new CohortException(what + " does not compile:\n" + describe(diagnostics) + out);
            }
            return new Compiled(classes, mainClass);
        } catch (IOException e) {
            throw new CohortException("could not compile " + what + ": " + e.getMessage(), e);
        }
    }

    private static String mainClass(Iterable<? extends CompilationUnitTree> units, String what) {
        for (CompilationUnitTree unit : units) {
            String pkg = unit.getPackageName() == null ? "" : unit.getPackageName() + ".";
            for (Tree type : unit.getTypeDecls()) {
                if (type instanceof ClassTree cls && hasMain(cls)) {
                    return pkg + cls.getSimpleName();
                }
            }
        }
        throw new CohortException(what + " has no class with a 'static void main(String[] args)' method: add one,"
                + " or give plain statements instead of a class");
    }

    private static boolean hasMain(ClassTree cls) {
        for (Tree member : cls.getMembers()) {
            if (member instanceof MethodTree m && m.getName().contentEquals("main")
                    && m.getModifiers().getFlags().contains(javax.lang.model.element.Modifier.STATIC)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(DiagnosticCollector<JavaFileObject> diagnostics) {
        StringBuilder s = new StringBuilder();
        List<Diagnostic<? extends JavaFileObject>> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                errors.add(d);
            }
        }
        for (Diagnostic<? extends JavaFileObject> d : errors) {
            String file = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName().toString();
            s.append("  ").append(file.equals("CohortMain.java") ? "code" : file)
                    .append(':').append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
        }
        return s.toString();
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new CohortException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
