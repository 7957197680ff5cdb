package io.cohort.cli;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code cohort shell}: a Java REPL (JShell's engine, run in this JVM) with the cohort API imported.
 * The session lives in this JVM, and everything it prints (worker output, status lines) goes above
 * the prompt through JLine, so a worker's line never splits what the user is typing. {@code /exit}
 * (or Ctrl-D) ends the session and its workers; with {@code cohort attach}, it only detaches.
 */
final class ShellCommand {
    private static final String PROMPT = "jshell> ";
    private static final String MORE = "   ...> ";
    private static final List<String> STARTUP = List.of(
            "import java.io.*;", "import java.math.*;", "import java.net.*;", "import java.nio.file.*;", "import java.util.*;",
            "import java.util.concurrent.*;", "import java.util.function.*;", "import java.util.regex.*;", "import java.util.stream.*;",
            "import java.time.Duration;", "import io.cohort.*;", "import static io.cohort.Workers.*;",
            "void println(Object o) { System.out.println(o); }", "void print(Object o) { System.out.print(o); }",
            "void printf(String format, Object... args) { System.out.printf(format, args); }");

    private ShellCommand() {
    }

    static int run(List<String> args, PrintStream err) {
        if (!args.isEmpty()) {
            throw new Main.UsageException("cohort shell takes no arguments (settings go in -Dcohort.NAME=VALUE or COHORT_NAME), got " + args);
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("cohort")
                    .variable(LineReader.SECONDARY_PROMPT_PATTERN, MORE)
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true).build();
            AbovePrompt lines = new AbovePrompt(reader);
            PrintStream above = new PrintStream(lines, true, StandardCharsets.UTF_8);
            PrintStream originalOut = System.out;
            PrintStream originalErr = System.err;
            // Everything printed while the user types goes above the prompt: worker output, snippets' threads.
            System.setOut(above);
            System.setErr(above);
            try (JShell shell = JShell.builder().executionEngine("local").out(above).err(above).build()) {
                for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                    shell.addToClasspath(entry);
                }
                for (String s : STARTUP) {
                    shell.eval(s);
                }
                boolean attached = System.getProperty("cohort.attach") != null;
                above.println("cohort: launchWorkers(2, 0.2, 0.5, \"System.out.println(42)\"), listWorkers(), showWorkers(),"
                        + " awaitWorkers(), stopWorkers(). /exit " + (attached ? "detaches (the session goes on)."
                        : "ends the session and its workers."));
                return loop(shell, reader, above, lines);
            } finally {
                System.setOut(originalOut);
                System.setErr(originalErr);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the terminal: " + e.getMessage(), e);
        }
    }

    private static int loop(JShell shell, LineReader reader, PrintStream out, AbovePrompt lines) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        StringBuilder pending = new StringBuilder();
        while (true) {
            String line;
            try {
                line = reader.readLine(pending.isEmpty() ? PROMPT : MORE);
            } catch (UserInterruptException e) {
                pending.setLength(0);
                continue;
            } catch (EndOfFileException e) {
                return 0;
            }
            if (pending.isEmpty() && line.strip().startsWith("/")) {
                Integer exit = command(shell, line.strip(), out);
                if (exit != null) {
                    return exit;
                }
                continue;
            }
            pending.append(line).append('\n');
            String source = pending.toString();
            while (!source.isBlank()) {
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(source);
                if (info.completeness() == SourceCodeAnalysis.Completeness.DEFINITELY_INCOMPLETE
                        || info.completeness() == SourceCodeAnalysis.Completeness.CONSIDERED_INCOMPLETE) {
                    break;
                }
                String snippet = info.completeness() == SourceCodeAnalysis.Completeness.UNKNOWN ? source : info.source();
                source = info.completeness() == SourceCodeAnalysis.Completeness.UNKNOWN ? "" : info.remaining();
                if (snippet != null && !snippet.isBlank()) {
                    evaluate(shell, snippet, out);
                    lines.finish();
                }
            }
            pending.setLength(0);
            if (!source.isBlank()) {
                pending.append(source);
            }
        }
    }

    /** A /command; returns the exit code when the shell should end. */
    private static Integer command(JShell shell, String line, PrintStream out) {
        String[] words = line.split("\\s+");
        switch (words[0]) {
            case "/exit", "/quit" -> {
                return words.length > 1 ? Integer.parseInt(words[1]) : 0;
            }
            case "/vars" -> shell.variables().forEach(v -> out.println("|    " + v.typeName() + " " + v.name() + " = "
                    + shell.varValue(v)));
            case "/list" -> shell.snippets().filter(s -> s.kind() != Snippet.Kind.IMPORT || !isStartup(s))
                    .filter(s -> !isStartup(s)).forEach(s -> out.println(s.id() + " : " + s.source().strip()));
            case "/imports" -> shell.imports().forEach(i -> out.println("|    " + i.source().strip()));
            case "/help" -> out.println("""
                    |  Java statements, expressions and declarations are evaluated as in JShell.
                    |  /vars     the variables          /list     what you typed
                    |  /imports  the imports            /exit     end (the session's workers are stopped)""");
            default -> out.println("|  unknown command " + words[0] + "; /help lists them");
        }
        return null;
    }

    private static boolean isStartup(Snippet s) {
        return STARTUP.contains(s.source().strip());
    }

    private static void evaluate(JShell shell, String source, PrintStream out) {
        for (SnippetEvent e : shell.eval(source)) {
            if (e.causeSnippet() != null) {
                continue;
            }
            Snippet s = e.snippet();
            if (e.status() == Snippet.Status.REJECTED) {
                for (Diag d : shell.diagnostics(s).toList()) {
                    out.println("|  Error:\n|  " + d.getMessage(null).replace("\n", "\n|  "));
                }
                continue;
            }
            if (e.exception() != null) {
                out.println("|  " + describe(e.exception()));
                continue;
            }
            if (s instanceof VarSnippet v) {
                out.println(v.name() + " ==> " + e.value());
            } else if (s instanceof ExpressionSnippet x) {
                out.println(x.name() + " ==> " + e.value());
            } else if (s instanceof DeclarationSnippet d && e.previousStatus() == Snippet.Status.NONEXISTENT) {
                out.println("|  created " + d.kind().toString().toLowerCase(java.util.Locale.ROOT).replace("_subkind", "")
                        .replace('_', ' ') + " " + d.name());
            }
        }
    }

    private static String describe(Exception e) {
        if (e instanceof EvalException x) {
            String stack = java.util.Arrays.stream(x.getStackTrace()).limit(4).map(f -> "|        at " + f)
                    .collect(Collectors.joining("\n"));
            return "Exception " + x.getExceptionClassName() + ": " + x.getMessage() + (stack.isEmpty() ? "" : "\n" + stack);
        }
        if (e instanceof UnresolvedReferenceException u) {
            return "attempted to use " + u.getSnippet().kind().toString().toLowerCase(java.util.Locale.ROOT)
                    + " which cannot be used until something it needs is declared";
        }
        return e.toString();
    }

    /** Whole lines, printed above the prompt (and the line being typed), so nothing splits them. */
    private static final class AbovePrompt extends OutputStream {
        private final LineReader reader;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        AbovePrompt(LineReader reader) {
            this.reader = reader;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                emit();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        /** A line not yet ended waits for its end (print("a"); print("b") is one line), or for {@link #finish()}. */
        @Override
        public void flush() {
        }

        /** Prints what is left of a line that was not ended (after each snippet). */
        synchronized void finish() {
            if (line.size() > 0) {
                emit();
            }
        }

        private void emit() {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            reader.printAbove(text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
        }
    }
}
