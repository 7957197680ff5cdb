package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.cohort.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One control-plane request: its path segments, caller, and body, read within limits. */
final class Request {
    final HttpExchange exchange;
    final String method;
    final List<String> path;
    private final long maxBodyBytes;

    Request(HttpExchange exchange, long maxBodyBytes) {
        this.exchange = exchange;
        this.method = exchange.getRequestMethod();
        this.path = segments(exchange.getRequestURI().getRawPath());
        this.maxBodyBytes = maxBodyBytes;
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

    /** The worker named in X-Cohort-Worker, or "session-client" for callers that are not workers. */
    String worker() {
        String w = exchange.getRequestHeaders().getFirst("X-Cohort-Worker");
        if (w == null || w.isBlank()) {
            return "session-client";
        }
        if (!w.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new HttpError(400, "X-Cohort-Worker must be a worker id such as w3, got '" + w + "'");
        }
        return w;
    }

    /** The item named in X-Cohort-Item, or null. */
    Long item() {
        String v = exchange.getRequestHeaders().getFirst("X-Cohort-Item");
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
        String q = exchange.getRequestURI().getRawQuery();
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
            throw new HttpError(405, exchange.getRequestURI().getPath() + " takes " + wanted + ", got " + method);
        }
    }

    /** Answers {@code value} as JSON (written by Jackson; a {@code RawValue} goes as it is). */
    void answer(int status, Object value) throws IOException {
        ControlPlane.json(exchange, status, Json.write(value));
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
        String q = exchange.getRequestURI().getRawQuery();
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
        return exchange.getRequestBody();
    }

    byte[] body() throws IOException {
        InputStream in = exchange.getRequestBody();
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
