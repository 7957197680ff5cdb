package io.cohort.worker.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a byte stream to its end and hands every whole line to a callback: LF, CR LF and a lone CR
 * all end a line; bytes are decoded as UTF-8 per whole line, so characters are never cut. A line
 * longer than {@link #MAX_LINE} bytes is handed over in pieces rather than held without bound, each
 * cut at a character boundary (a multi-byte character is never split between two pieces).
 *
 * <p>Shared by every place that turns a program's output into lines (local workers' pumps, the
 * agent of remote workers), so that lines are the same on every backend. Not part of the worker API.
 */
public final class LineSplitter {
    public static final int MAX_LINE = 1 << 20;

    private LineSplitter() {
    }

    public static void pump(InputStream in, Consumer<String> lines) throws IOException {
        byte[] buf = new byte[16384];
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        boolean afterCr = false;
        int n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (b == '\n') {
                    if (!afterCr) {
                        emit(line, lines);
                    }
                    afterCr = false;
                } else if (b == '\r') {
                    emit(line, lines);
                    afterCr = true;
                } else {
                    afterCr = false;
                    line.write(b);
                    if (line.size() >= MAX_LINE) {
                        emitPiece(line, lines);
                    }
                }
            }
        }
        if (line.size() > 0) {
            emit(line, lines);
        }
    }

    /**
     * Hands over a piece of a long line, cut at a character boundary: the bytes of a UTF-8 character
     * that is not complete yet stay for the next piece.
     */
    private static void emitPiece(ByteArrayOutputStream line, Consumer<String> lines) {
        byte[] bytes = line.toByteArray();
        int cut = boundary(bytes, bytes.length);
        lines.accept(new String(bytes, 0, cut, StandardCharsets.UTF_8));
        line.reset();
        line.write(bytes, cut, bytes.length - cut);
    }

    /** Where to cut {@code bytes[0, end)} so that no complete-looking character is split: before an unfinished one. */
    static int boundary(byte[] bytes, int end) {
        // A character is at most 4 bytes: look back for the lead byte of the last one.
        for (int back = 1; back <= 4 && end - back >= 0; back++) {
            int b = bytes[end - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // a continuation byte
            }
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > back && end - back > 0 ? end - back : end;
        }
        return end; // not UTF-8 here anyway: cut where the limit is
    }

    private static void emit(ByteArrayOutputStream line, Consumer<String> lines) {
        lines.accept(line.toString(StandardCharsets.UTF_8));
        line.reset();
    }
}
