package io.cohort.worker.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a byte stream to its end and hands every whole line to a callback: LF, CR LF and a lone CR
 * all end a line; bytes are decoded as UTF-8 per whole line, so characters are never cut. A line
 * longer than {@link #MAX_LINE} bytes is handed over in pieces rather than held without bound.
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
                        emit(line, lines);
                    }
                }
            }
        }
        if (line.size() > 0) {
            emit(line, lines);
        }
    }

    private static void emit(ByteArrayOutputStream line, Consumer<String> lines) {
        lines.accept(line.toString(StandardCharsets.UTF_8));
        line.reset();
    }
}
