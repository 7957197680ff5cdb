package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kernel runs code and scripts; every way a program can be wrong is refused at launch. */
class KernelsTest {
    @TempDir
    Path home;
    @TempDir
    Path project;
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    @BeforeEach
    void open() {
        session = Session.open(Fixtures.options(home, console).workingDirectory(project).build());
    }

    @AfterEach
    void close() {
        session.close();
    }

    private List<String> run(Program program) {
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.5, 0.5, program));
        AwaitResult r = session.await(ws, true, Duration.ofSeconds(120));
        assertThat(r.failures()).as("failures; output: %s", session.output(ws.get(0))).isEmpty();
        return session.output(ws.get(0)).stream().map(OutputLine::text).toList();
    }

    @Test
    void javaStatements() {
        assertThat(run(Program.code("var xs = List.of(1, 2, 3); System.out.println(\"sum \" + xs.stream().mapToInt(i -> i).sum());")))
                .containsExactly("sum 6");
    }

    @Test
    void theShortFormOfTheIssueRunsAsWrittenWithoutAFinalSemicolon() {
        assertThat(run(Program.code("System.out.println(\"Hello from a worker\")"))).containsExactly("Hello from a worker");
        assertThat(run(Program.code("int x = 6 * 7;\nSystem.out.println(x) // the answer"))).containsExactly("42");
    }

    @Test
    void javaClassWithMainAndHelpers() {
        String code = """
                import java.util.function.IntUnaryOperator;
                record Square() implements IntUnaryOperator { public int applyAsInt(int x) { return x * x; } }
                public class Job {
                    public static void main(String[] args) { System.out.println("square " + new Square().applyAsInt(7)); }
                }
                """;
        assertThat(run(Program.code(code))).containsExactly("square 49");
    }

    @Test
    void javaScriptFileFromTheWorkingDirectory() throws IOException {
        Files.writeString(project.resolve("Train.java"), """
                public class Train {
                    public static void main(String[] args) { System.out.println("training " + Helper.name()); }
                }
                class Helper { static String name() { return "model"; } }
                """);
        assertThat(run(Program.script("Train.java"))).containsExactly("training model");
    }

    @Test
    void javaWorkersCanUseTheWorkerLibrary() {
        assertThat(run(Program.code("System.out.println(io.cohort.worker.Cohort.workerId() + \" \" + io.cohort.worker.Cohort.insideWorker());")))
                .containsExactly("w1 true");
    }

    @Test
    void aJavaWorkerRunsOnAClassPathJarThatListsTheSessionsLongClassPathInOrder() throws Exception {
        // The test JVM's class path is long (JUnit, AssertJ, Jetty, SQLite, ...): the worker gets one jar
        // listing it, and still loads any class of it, from the same place as the session.
        Path expected = Path.of(org.sqlite.JDBC.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> out = run(Program.code("System.out.println(System.getProperty(\"java.class.path\"));"
                + " System.out.println(Class.forName(\"org.sqlite.JDBC\").getProtectionDomain().getCodeSource().getLocation());"));
        assertThat(out).hasSize(2);
        String[] path = out.get(0).split(java.io.File.pathSeparator);
        assertThat(path).hasSize(2);
        assertThat(path[1]).matches(".*/launches/worker-classpath-[0-9a-f]{12}\\.jar");
        try (var jar = new java.util.jar.JarFile(path[1])) {
            String listed = jar.getManifest().getMainAttributes().getValue("Class-Path");
            assertThat(java.util.Arrays.stream(listed.split(" ")).map(e -> Path.of(java.net.URI.create(e))))
                    .hasSizeGreaterThan(8).contains(expected);
        }
        assertThat(Path.of(java.net.URI.create(out.get(1)))).isEqualTo(expected);
    }

    private long compiledClasses(String name) throws IOException {
        try (var classes = Files.walk(session.directory().resolve("launches"))) {
            return classes.filter(p -> p.getFileName().toString().equals(name)).count();
        }
    }

    @Test
    void theSameCodeLaunchedAgainRunsWhatWasCompiledButAChangedScriptIsCompiledAgain() throws IOException {
        assertThat(run(Program.code("System.out.println(\"same\");"))).containsExactly("same");
        assertThat(run(Program.code("System.out.println(\"same\");"))).containsExactly("same");
        assertThat(compiledClasses("CohortMain.class")).as("javac ran for the first launch only").isEqualTo(1);
        assertThat(run(Program.code("System.out.println(\"other\");"))).containsExactly("other");
        assertThat(compiledClasses("CohortMain.class")).isEqualTo(2);

        Path script = project.resolve("Again.java");
        Files.writeString(script, "public class Again { public static void main(String[] a) { System.out.println(\"v1\"); } }");
        assertThat(run(Program.script("Again.java"))).containsExactly("v1");
        assertThat(run(Program.script("Again.java"))).containsExactly("v1");
        assertThat(compiledClasses("Again.class")).isEqualTo(1);
        Files.writeString(script, "public class Again { public static void main(String[] a) { System.out.println(\"v2\"); } }");
        assertThat(run(Program.script("Again.java"))).containsExactly("v2");
        assertThat(compiledClasses("Again.class")).isEqualTo(2);
    }

    @Test
    void javaCodeIsCompiledOncePerLaunch() throws IOException {
        session.launch(LaunchRequest.of(3, 0.2, 0.3, Program.code("System.out.println(1);")));
        session.await(List.of(), true, Duration.ofSeconds(120));

        try (var classes = Files.walk(session.directory().resolve("launches"))) {
            assertThat(classes.filter(p -> p.toString().endsWith("CohortMain.class")).count()).isEqualTo(1);
        }
        assertThat(session.list()).extracting(w -> w.status().label()).containsOnly("succeeded");
    }

    @Test
    void jshellCodeAndScript() throws IOException {
        assertThat(run(Program.code(Kernel.JSHELL, "int twice(int x) { return 2 * x; }\nSystem.out.println(\"jshell \" + twice(21));")))
                .contains("jshell 42");
        Files.writeString(project.resolve("job.jsh"), "System.out.println(\"from a jsh file\");\n");
        assertThat(run(Program.script("job.jsh"))).contains("from a jsh file");
    }

    @Test
    void pythonCodeAndScript() throws IOException {
        assertThat(run(Program.code(Kernel.PYTHON3, "import os\nprint('python', os.environ['CDSW_ENGINE_ID'])"))).containsExactly("python w1");
        Files.writeString(project.resolve("job.py"), "print(sum(range(10)))\n");
        assertThat(run(Program.script("job.py"))).containsExactly("45");
    }

    @Test
    void rCodeAndScript() throws IOException {
        assertThat(run(Program.code(Kernel.R, "cat('r', Sys.getenv('CDSW_ENGINE_ID'), '\\n')"))).containsExactly("r w1 ");
        Files.writeString(project.resolve("job.R"), "cat(sum(1:10), '\\n', sep = '')\n");
        assertThat(run(Program.script("job.R"))).containsExactly("55");
    }

    @Test
    void shellCommandsWithTheReferencesBangAndScripts() throws IOException {
        assertThat(run(Program.code("!echo shell $CDSW_ENGINE_ID"))).containsExactly("shell w1");
        assertThat(run(Program.code(Kernel.PYTHON3, "!echo still shell"))).containsExactly("still shell");
        Files.writeString(project.resolve("job.sh"), "echo from a script\n");
        assertThat(run(Program.script("job.sh"))).containsExactly("from a script");
    }

    @Test
    void aJavaCompileErrorIsRefusedWithTheLineAndNothingStarts() {
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(2, 0.2, 0.2, Program.code("int x = 1;\nSystem.out.println(y);"))))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("does not compile")
                .hasMessageContaining("code:2:")
                .hasMessageContaining("cannot find symbol");
        assertThat(session.list()).isEmpty();
    }

    @Test
    void aMissingScriptIsRefusedWithWhereItWasLookedFor() {
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.script("nowhere.py"))))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("script 'nowhere.py' does not exist")
                .hasMessageContaining(project.resolve("nowhere.py").toString());
        assertThat(session.list()).isEmpty();
    }

    @Test
    void syntaxErrorsInPythonRAndShellAreRefusedAtLaunch() {
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, "def f(:\n  pass"))))
                .hasMessageContaining("the Python code does not parse").hasMessageContaining("SyntaxError");
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.R, "f <- function( {"))))
                .hasMessageContaining("the R code does not parse");
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("if then fi"))))
                .hasMessageContaining("the shell code does not parse");
        assertThat(session.list()).isEmpty();
    }

    @Test
    void aMissingInterpreterIsRefusedWithHowToGetIt() {
        try (Session s = Session.open(Fixtures.options(home, console).setting("kernel.python3", "python-that-is-not-here").build())) {
            assertThatThrownBy(() -> s.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, "print(1)"))))
                    .isInstanceOf(CohortException.class)
                    .hasMessageContaining("kernel python3 cannot run: 'python-that-is-not-here' is not on the PATH")
                    .hasMessageContaining("apt-get install python3")
                    .hasMessageContaining("-Dcohort.kernel.python3=");
            assertThat(s.list()).isEmpty();
        }
    }

    @Test
    void kernelNamesAreParsedWithAClearError() {
        assertThat(Kernel.of("Python")).isEqualTo(Kernel.PYTHON3);
        assertThat(Kernel.of("bash")).isEqualTo(Kernel.SHELL);
        assertThatThrownBy(() -> Kernel.of("cobol"))
                .hasMessage("kernel must be one of java, jshell, python3, r, shell, got 'cobol'");
        assertThatThrownBy(() -> Program.script("data.csv")).hasMessageContaining("cannot tell the kernel of script 'data.csv'");
    }
}
