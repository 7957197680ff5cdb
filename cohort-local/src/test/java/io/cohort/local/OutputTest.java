package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import io.cohort.worker.internal.LineSplitter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output reaches the console and the log whole, in order, and marked by worker and stream. */
class OutputTest {
    @TempDir
    Path home;

    @Test
    void manyWorkersWritingFastNeverSpliceLinesAndKeepTheirOrder() throws IOException {
        Fixtures.Console console = new Fixtures.Console();
        int lines = 20_000;
        try (Session session = Fixtures.open(home, console)) {
            // Writes in odd-sized chunks to both streams, so lines cross pipe reads.
            String code = "import sys\nfor i in range(" + lines + "):\n"
                    + "    (sys.stderr if i % 7 == 0 else sys.stdout).write('line %d of worker %s ' % (i, '${ID}') + 'x' * (i % 97) + '\\n')\n";
            List<Worker> ws = new ArrayList<>();
            for (int w = 1; w <= 3; w++) {
                ws.addAll(session.launch(LaunchRequest.of(1, 0.3, 0.3, Program.code(Kernel.PYTHON3, code.replace("${ID}", "w" + w)))));
            }
            AwaitResult r = session.await(ws, true, Duration.ofSeconds(120));
            assertThat(r.failures()).isEmpty();

            for (Worker w : ws) {
                // stdout and stderr are two pipes: each stream keeps its order; across them, no order exists.
                for (boolean err : new boolean[] {false, true}) {
                    String prefix = "[" + w.id() + (err ? " err] " : "] ");
                    OutputLine.Stream stream = err ? OutputLine.Stream.STDERR : OutputLine.Stream.STDOUT;
                    List<String> expected = new ArrayList<>();
                    for (int i = 0; i < lines; i++) {
                        if ((i % 7 == 0) == err) {
                            expected.add("line " + i + " of worker " + w.id() + " " + "x".repeat(i % 97));
                        }
                    }
                    List<String> fromConsole = console.lines().stream().filter(l -> l.startsWith(prefix + "line "))
                            .map(l -> l.substring(prefix.length())).toList();
                    List<String> fromLog = session.output(w).stream().filter(l -> l.stream() == stream)
                            .map(OutputLine::text).toList();
                    assertThat(fromConsole).containsExactlyElementsOf(expected);
                    assertThat(fromLog).containsExactlyElementsOf(expected);
                }
                assertThat(session.output(w)).hasSize(lines);
            }
            // The log is a plain file a user can read.
            assertThat(Files.readAllLines(session.outputFile("w1"))).contains("out | line 1 of worker w1 x", "err | line 0 of worker w1 ");
        }
    }

    @Test
    void theSplitterHandlesEveryLineEndingUtf8AndAMissingFinalNewline() throws IOException {
        byte[] input = "a\nb\r\nc\rprogress 50%\rprogress 100%\nünïcödé ✓\nlast".getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();

        // One byte at a time, so a multi-byte character and a CR LF pair straddle reads.
        LineSplitter.pump(new ByteArrayInputStream(input) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        }, out::add);

        assertThat(out).containsExactly("a", "b", "c", "progress 50%", "progress 100%", "ünïcödé ✓", "last");
    }

    @Test
    void aHugeLineIsHandedOverInBoundedPieces() throws IOException {
        byte[] input = ("y".repeat(LineSplitter.MAX_LINE + 10) + "\n").getBytes(StandardCharsets.US_ASCII);
        List<String> out = new ArrayList<>();

        LineSplitter.pump(new ByteArrayInputStream(input), out::add);

        assertThat(out).extracting(String::length).containsExactly(LineSplitter.MAX_LINE, 10);
    }
}
