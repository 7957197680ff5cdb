package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.cohort.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
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
                try {
                    out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "the path has a malformed %-escape: " + rawPath);
                }
            }
        }
        return out;
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
                return eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Every value of a repeated query parameter, in order. */
    List<String> queries(String name) {
        List<String> out = new ArrayList<>();
        String q = exchange.getRequestURI().getRawQuery();
        if (q != null) {
            for (String part : q.split("&")) {
                int eq = part.indexOf('=');
                if ((eq < 0 ? part : part.substring(0, eq)).equals(name)) {
                    out.add(eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
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
