package io.cohort.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines are split at LF, CR LF and CR, and a long line's pieces never cut a character. */
class LineSplitterTest {
    private static List<String> lines(byte[] bytes) throws IOException {
        List<String> out = new ArrayList<>();
        LineSplitter.pump(new ByteArrayInputStream(bytes), out::add);
        return out;
    }

    @Test
    void aLongLineIsCutAtACharacterBoundaryNeverInsideOne() throws IOException {
        for (String ch : new String[] {"é", "€", "😀"}) {
            for (int shift = 0; shift < 4; shift++) {
                // The limit falls inside a character for some shift.
                String text = "a".repeat(shift) + ch.repeat(LineSplitter.MAX_LINE / ch.getBytes(StandardCharsets.UTF_8).length + 3);
                List<String> pieces = lines((text + "\nnext\n").getBytes(StandardCharsets.UTF_8));

                assertThat(pieces).as("%s shifted by %d", ch, shift).hasSize(3).last().isEqualTo("next");
                assertThat(pieces.get(0) + pieces.get(1)).as("%s shifted by %d", ch, shift).isEqualTo(text);
                assertThat(pieces.get(0) + pieces.get(1)).doesNotContain("\uFFFD");
                assertThat(pieces.get(0).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(LineSplitter.MAX_LINE);
            }
        }
    }

    @Test
    void linesEndAtLfCrLfAndCr() throws IOException {
        assertThat(lines("a\nb\r\nc\rd".getBytes(StandardCharsets.UTF_8))).containsExactly("a", "b", "c", "d");
    }

    @Test
    void bytesThatAreNotUtf8StillComeThroughInPieces() throws IOException {
        byte[] bytes = new byte[LineSplitter.MAX_LINE + 10];
        java.util.Arrays.fill(bytes, (byte) 0x80);
        assertThat(lines(bytes)).hasSize(2);
    }

    /** A stream that gives its bytes in the pieces given, at most one piece per read, as a pipe does. */
    private static java.io.InputStream reads(String... pieces) {
        java.util.Iterator<byte[]> it = java.util.Arrays.stream(pieces).map(p -> p.getBytes(StandardCharsets.UTF_8)).iterator();
        return new java.io.InputStream() {
            byte[] piece = new byte[0];
            int at;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at == piece.length) {
                    if (!it.hasNext()) {
                        return -1;
                    }
                    piece = it.next();
                    at = 0;
                }
                int n = Math.min(len, piece.length - at);
                System.arraycopy(piece, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    @Test
    void eachReadHandsOverTheLinesItCompletedAsOneBatchWhateverWhereTheReadsCut() throws IOException {
        List<List<String>> batches = new ArrayList<>();
        // A line cut between reads, a CR LF cut between its CR and its LF, an empty line, a read with no line end.
        LineSplitter.pumpBatches(reads("one\ntw", "o\r", "\nthree\n\nfo", "u", "r\nfive"), batches::add);

        assertThat(batches).containsExactly(List.of("one"), List.of("two"), List.of("three", ""), List.of("four"), List.of("five"));
    }

    @Test
    void aLineLongerThanTheLimitAcrossManyReadsComesInPiecesInOrder() throws IOException {
        String half = "x".repeat(LineSplitter.MAX_LINE / 2 + 1);
        List<String> out = new ArrayList<>();
        LineSplitter.pump(reads(half, half, half + "\nend\n"), out::add);

        assertThat(out).hasSize(3).last().isEqualTo("end");
        assertThat(out.get(0)).hasSize(LineSplitter.MAX_LINE);
        assertThat(out.get(0) + out.get(1)).isEqualTo(half.repeat(3));
    }
}
