package io.cohort.worker.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /** Hands over every line, one at a time (see {@link #pumpBatches}). */
    public static void pump(InputStream in, Consumer<String> lines) throws IOException {
        pumpBatches(in, batch -> batch.forEach(lines));
    }

    /**
     * Reads {@code in} to its end and hands over, after each read, the lines that read completed, in
     * order, as one list (never empty). A program that writes fast fills the pipe, so one read brings
     * thousands of lines and whoever takes them pays once per read rather than once per line.
     */
    public static void pumpBatches(InputStream in, Consumer<List<String>> batches) throws IOException {
        byte[] buf = new byte[FIRST_READ];
        Pending pending = new Pending();
        boolean afterCr = false;
        int n;
        while ((n = in.read(buf)) > 0) {
            List<String> out = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (b != '\n' && b != '\r') {
                    afterCr = false;
                    continue;
                }
                if (b == '\n' && afterCr) {
                    // The LF of a CR LF: that line was handed over at its CR.
                    afterCr = false;
                    start = i + 1;
                    continue;
                }
                afterCr = b == '\r';
                if (pending.length == 0 && i - start < MAX_LINE) {
                    out.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
                } else {
                    pending.append(buf, start, i - start);
                    pending.pieces(out);
                    out.add(pending.take());
                }
                start = i + 1;
            }
            if (start < n) {
                pending.append(buf, start, n - start);
                pending.pieces(out);
            }
            if (!out.isEmpty()) {
                batches.accept(out);
            }
            if (n == buf.length && buf.length < MAX_READ) {
                // A program that fills the buffer writes fast: read more at once (a quiet one keeps a small buffer).
                buf = new byte[buf.length * 4];
            }
        }
        if (pending.length > 0) {
            batches.accept(List.of(pending.take()));
        }
    }

    /** How much one read asks for at first; it grows to {@link #MAX_READ} for a program that keeps it full. */
    private static final int FIRST_READ = 4096;
    /** A pipe's whole buffer on Linux. */
    private static final int MAX_READ = 1 << 16;

    /** The start of a line that one read did not finish. */
    private static final class Pending {
        byte[] bytes = new byte[256];
        int length;

        void append(byte[] from, int offset, int count) {
            if (length + count > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + count));
            }
            System.arraycopy(from, offset, bytes, length, count);
            length += count;
        }

        /**
         * Hands over pieces of a line that grew to {@link #MAX_LINE} bytes, each cut at a character
         * boundary: the bytes of a UTF-8 character that is not complete yet stay for the next piece.
         */
        void pieces(List<String> out) {
            while (length >= MAX_LINE) {
                int cut = boundary(bytes, MAX_LINE);
                out.add(new String(bytes, 0, cut, StandardCharsets.UTF_8));
                System.arraycopy(bytes, cut, bytes, 0, length - cut);
                length -= cut;
            }
        }

        String take() {
            String s = new String(bytes, 0, length, StandardCharsets.UTF_8);
            length = 0;
            if (bytes.length > 4096) {
                bytes = new byte[256];
            }
            return s;
        }
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
}
