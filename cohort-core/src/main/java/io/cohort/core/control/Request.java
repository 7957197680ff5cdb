package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One control-plane request: its path segments, caller, and body, read within limits; and its
 * answer, given once: now ({@link #answer}, {@link #stream}), or later ({@link #answerLater}) by
 * whichever thread completes a future, so a long poll holds no thread while it waits.
 */
final class Request {
    final String method;
    final List<String> path;
    private final org.eclipse.jetty.server.Request request;
    private final Response response;
    private final Callback callback;
    private final long maxBodyBytes;
    /** Set once the answer is under way: written, streaming, or promised by a future. */
    private boolean answering;
    private OutputStream stream;

    Request(org.eclipse.jetty.server.Request request, Response response, Callback callback, long maxBodyBytes) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.method = request.getMethod();
        this.maxBodyBytes = maxBodyBytes;
        this.path = segments(rawPath());
    }

    /** The path as sent (still %-escaped), for messages. */
    String rawPath() {
        String p = request.getHttpURI().getPath();
        return p == null ? "/" : p;
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Every header of the request, in order. */
    org.eclipse.jetty.http.HttpFields headers() {
        return request.getHeaders();
    }

    /** The query as sent (still %-escaped), or null. */
    String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** Adds a header of the answer (one of several with the same name); call before answering. */
    void addHeader(String name, String value) {
        response.getHeaders().add(name, value);
    }

    /** Sets a header of the answer; call before answering. */
    void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(decode(s, false, "the path"));
            }
        }
        return out;
    }

    /**
     * Decodes %-escapes (and '+' as a space in a query) into UTF-8 text, strictly: a malformed escape
     * or bytes that are not UTF-8 are refused with 400, never turned into U+FFFD.
     */
    static String decode(String raw, boolean query, String where) {
        if (plainAscii(raw, query)) {
            // Nothing to decode (the usual case: /v1/queues/NAME/take): the text is its own decoding.
            return raw;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new HttpError(400, where + " has a malformed %-escape (use %XX with two hex digits): " + raw);
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c == '+' && query) {
                bytes.write(' ');
            } else {
                int end = i + 1;
                while (end < raw.length() && raw.charAt(end) != '%' && !(query && raw.charAt(end) == '+')) {
                    end++;
                }
                byte[] b = raw.substring(i, end).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
                i = end - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new HttpError(400, where + " is not valid UTF-8 once its %-escapes are decoded: " + raw);
        }
    }

    /** What X-Cohort-Worker may hold; compiled once, since every worker request names one. */
    private static final java.util.regex.Pattern WORKER_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,100}");

    /** Whether {@code raw} has only ASCII characters and nothing {@link #decode} would change ('%', or '+' in a query). */
    private static boolean plainAscii(String raw, boolean query) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 0x80 || c == '%' || (query && c == '+')) {
                return false;
            }
        }
        return true;
    }

    /** The worker whose own credential the request carries, or null for the session's token (or its browser). */
    private String principal;

    String principal() {
        return principal;
    }

    void principal(String worker) {
        this.principal = worker;
    }

    /**
     * The worker the request speaks for: the credential's worker, or for the session's token the one
     * named in X-Cohort-Worker, or "session-client" for callers that are not workers.
     */
    String worker() {
        if (principal != null) {
            return principal;
        }
        String w = header("X-Cohort-Worker");
        if (w == null || w.isBlank()) {
            return "session-client";
        }
        if (!WORKER_ID.matcher(w).matches()) {
            throw new HttpError(400, "X-Cohort-Worker must be a worker id such as w3, got '" + w + "'");
        }
        return w;
    }

    /** The item named in X-Cohort-Item, or null. */
    Long item() {
        String v = header("X-Cohort-Item");
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new HttpError(400, "X-Cohort-Item must be an item id (a number), got '" + v + "'");
        }
    }

    String query(String name) {
        String q = request.getHttpURI().getQuery();
        if (q == null) {
            return null;
        }
        for (String part : q.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            if (k.equals(name)) {
                return eq < 0 ? "" : decode(part.substring(eq + 1), true, "query parameter " + name);
            }
        }
        return null;
    }

    /** Refuses the request (405) unless it uses {@code wanted}. */
    void expect(String wanted) {
        if (!method.equals(wanted)) {
            throw new HttpError(405, rawPath() + " takes " + wanted + ", got " + method);
        }
    }

    /** Answers {@code value} as JSON (written by Jackson; a {@code RawValue} goes as it is). */
    void answer(int status, Object value) {
        answer(status, Json.write(value), callback);
    }

    private void answer(int status, String json, Callback done) {
        answering = true;
        write(response, status, json, done);
    }

    /** Writes a JSON answer without blocking; {@code done} hears when it is written or failed. */
    static void write(Response response, int status, String json, Callback done) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(bytes.length));
        response.write(true, ByteBuffer.wrap(bytes), done);
    }

    /**
     * Answers when {@code value} completes, as JSON, from whichever thread completes it; the request
     * holds no thread meanwhile. A failed future is answered as any failure is ({@link ControlPlane}).
     * {@code undelivered} runs when the answer could not be written (the caller left), so that what it
     * handed out (leased items) can be taken back.
     */
    void answerLater(CompletableFuture<?> value, java.util.function.Consumer<Object> undelivered) {
        answering = true;
        value.whenComplete((v, failure) -> {
            if (failure != null) {
                ControlPlane.fail(response, callback, failure instanceof java.util.concurrent.CompletionException c
                        && c.getCause() != null ? c.getCause() : failure, this);
                return;
            }
            String json;
            try {
                json = Json.write(v);
            } catch (RuntimeException e) {
                undelivered.accept(v);
                ControlPlane.fail(response, callback, e, this);
                return;
            }
            answer(200, json, Callback.from(callback::succeeded, x -> {
                undelivered.accept(v);
                callback.failed(x);
            }));
        });
    }

    /**
     * Starts a streamed answer (event streams, snapshot downloads): the headers go now, the body as
     * it is written; the request ends when the stream is closed. {@code length} -1 when unknown.
     */
    OutputStream stream(int status, String contentType, long length) {
        answering = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        if (length >= 0) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(length));
        }
        OutputStream body = Content.Sink.asOutputStream(response);
        // Closed once, whether by the route or by finish().
        stream = new java.io.FilterOutputStream(body) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                body.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    body.close();
                }
            }
        };
        return stream;
    }

    /** What takes an exchange over from the control plane (a WebSocket upgrade); true when it did. */
    @FunctionalInterface
    interface TakeOver {
        boolean apply(org.eclipse.jetty.server.Request request, Response response, Callback callback) throws IOException;
    }

    /** Hands the exchange to {@code takeOver}; when it took it, the answer is its own. */
    boolean takeOver(TakeOver takeOver) throws IOException {
        answering = takeOver.apply(request, response, callback);
        return answering;
    }

    /** Whether an answer is written, streaming or promised. */
    boolean answering() {
        return answering;
    }

    /** After the route returned: a streamed answer ends with its stream. */
    void finish() throws IOException {
        if (stream != null) {
            stream.close();
            callback.succeeded();
        }
    }

    /** Whether the status and headers are on their way (no other answer can be given). */
    boolean committed() {
        return response.isCommitted() || stream != null;
    }

    /** A whole number field of a JSON body, within [min, max]; required when {@code fallback < min}. */
    static long longField(JsonNode body, String field, long fallback, long min, long max) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (fallback < min) {
                throw new HttpError(400, "\"" + field + "\" is required");
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || n.asLong() < min || n.asLong() > max) {
            throw new HttpError(400, "\"" + field + "\" must be a whole number from " + min + " to " + max + ", got " + n);
        }
        return n.asLong();
    }

    /** A true/false field of a JSON body; {@code fallback} when absent or null. */
    static boolean booleanField(JsonNode body, String field, boolean fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new HttpError(400, "\"" + field + "\" must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    /** A list of item ids (numbers); absent or null is an empty list. */
    static List<Long> ids(JsonNode node, String field) {
        List<Long> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            return ids;
        }
        if (!node.isArray()) {
            throw new HttpError(400, "\"" + field + "\" must be a list of item ids");
        }
        for (JsonNode n : node) {
            if (!n.canConvertToLong() || !n.isIntegralNumber()) {
                throw new HttpError(400, "\"" + field + "\" must be a list of item ids (numbers), got " + n);
            }
            ids.add(n.asLong());
        }
        return ids;
    }

    /** Every value of a repeated query parameter, in order. */
    List<String> queries(String name) {
        List<String> out = new ArrayList<>();
        String q = request.getHttpURI().getQuery();
        if (q != null) {
            for (String part : q.split("&")) {
                int eq = part.indexOf('=');
                if ((eq < 0 ? part : part.substring(0, eq)).equals(name)) {
                    out.add(eq < 0 ? "" : decode(part.substring(eq + 1), true, "query parameter " + name));
                }
            }
        }
        return out;
    }

    InputStream bodyStream() {
        return Content.Source.asInputStream(request);
    }

    byte[] body() throws IOException {
        InputStream in = bodyStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            if (out.size() + n > maxBodyBytes) {
                throw new HttpError(413, "the request body is larger than " + maxBodyBytes + " bytes; send smaller batches");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    String bodyText() throws IOException {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** The body as a JSON object ({} when empty). */
    JsonNode json() throws IOException {
        byte[] b = body();
        if (b.length == 0) {
            return Json.MAPPER.createObjectNode();
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(b);
        } catch (IOException e) {
            throw new HttpError(400, "the body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            throw new HttpError(400, "the body must be a JSON object");
        }
        return n;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
