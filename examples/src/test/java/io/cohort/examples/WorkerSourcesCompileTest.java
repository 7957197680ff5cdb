package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The examples' worker programs (Java sources shipped as resources, which the session compiles when
 * it launches them) are compiled by the build too, against the class path workers get, so a mistake
 * in one fails the build rather than a demo.
 */
class WorkerSourcesCompileTest {
    static final Path SOURCES = Path.of("src/main/resources/io/cohort/examples");

    static Stream<Path> workerSources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("workerSources")
    void compiles(Path source, @TempDir Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path"), "-Xlint:none"), null,
                    files.getJavaFileObjects(source)).call();
            assertThat(ok).as("%s compiles; %s", source, diagnostics.getDiagnostics()).isTrue();
        }
        assertThat(workerSources()).hasSizeGreaterThanOrEqualTo(4);
    }
}
