package io.cohort.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A stand-in for the session's control plane that answers from recorded exchanges
 * (clients/protocol/exchanges, recorded from the real server by cohort-core's WireExchangesTest). It
 * expects the exchanges in order and answers each with its recorded answer; a request that differs
 * from the next one expected (method, path, the headers that matter, the body) is noted as a problem
 * and answered 500 with what was expected, so the client fails loudly. Exchanges marked "anytime"
 * (heartbeats, sent on a timer) are answered whenever they come. Loopback only.
 *
 * <p>How requests are compared (the rule README.md in the exchanges' folder states):
 * method and path (with its query) exactly, as sent on the wire; {@code Authorization} must be
 * {@code Bearer} and the token, or absent when the recording has none; {@code X-Cohort-Worker} and
 * {@code X-Cohort-Item} equal, or both absent; a JSON body equal as JSON (objects in any order,
 * numbers by value: 1 and 1.0 are the same); a byte body byte for byte; no body, none at all.
 * Other headers (Content-Type, User-Agent, Connection, ...) are the client's affair.
 */
final class ReplayServer implements AutoCloseable {
    static final String TOKEN = "replay-token-0123456789abcdef";
    static final Path EXCHANGES = Path.of("..", "clients", "protocol", "exchanges").toAbsolutePath().normalize();

    /** One recorded exchange, as its file holds it (parsed with the worker library's own Json). */
    record Exchange(String name, List<?> clients, boolean anytime, Map<?, ?> request, Map<?, ?> response) {
        static Exchange of(Map<?, ?> m) {
            return new Exchange((String) m.get("name"), (List<?>) m.get("clients"), Boolean.TRUE.equals(m.get("anytime")),
                    (Map<?, ?>) m.get("request"), (Map<?, ?>) m.get("response"));
        }

        String method() {
            return (String) request.get("method");
        }

        String path() {
            return (String) request.get("path");
        }

        Map<?, ?> headers() {
            return (Map<?, ?>) request.get("headers");
        }
    }

    /** Every recorded exchange, in the order of their names. */
    static List<Exchange> recorded() {
        try (var files = Files.list(EXCHANGES)) {
            List<Exchange> all = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                all.add(Exchange.of((Map<?, ?>) Json.parse(Files.readString(p))));
            }
            if (all.isEmpty()) {
                throw new IllegalStateException("no recorded exchanges in " + EXCHANGES);
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The exchanges a client of this language makes, in order, and those it may make at any moment. */
    static ReplayServer forClient(String language) {
        List<Exchange> all = recorded();
        return new ReplayServer(all.stream().filter(e -> !e.anytime() && e.clients().contains(language)).toList(),
                all.stream().filter(e -> e.anytime() && e.clients().contains(language)).toList());
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final List<Exchange> expected;
    private final List<Exchange> anytime;
    private final List<String> problems = new ArrayList<>();
    private final List<String> answered = new ArrayList<>();
    private int next;

    ReplayServer(List<Exchange> expected, List<Exchange> anytime) {
        this.expected = List.copyOf(expected);
        this.anytime = List.copyOf(anytime);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** What went wrong: requests that differed, and expected exchanges that never came. */
    synchronized List<String> problems() {
        List<String> all = new ArrayList<>(problems);
        for (int k = next; k < expected.size(); k++) {
            all.add(expected.get(k).name() + ": never asked for");
        }
        return all;
    }

    /** The names of the exchanges answered, in order (anytime ones included). */
    synchronized List<String> answered() {
        return List.copyOf(answered);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x; InputStream in = x.getRequestBody()) {
            byte[] body = in.readAllBytes();
            String path = x.getRequestURI().getRawPath() + (x.getRequestURI().getRawQuery() == null ? "" : "?" + x.getRequestURI().getRawQuery());
            Exchange e;
            String wrong;
            synchronized (this) {
                e = anytime.stream().filter(a -> a.method().equals(x.getRequestMethod()) && a.path().equals(path)).findFirst().orElse(null);
                if (e != null) {
                    // Sent on a timer: only who sends it is checked; its body is not read by the session.
                    wrong = headers(e, x);
                } else if (next >= expected.size()) {
                    wrong = "no more exchanges were expected";
                } else {
                    e = expected.get(next);
                    wrong = differences(e, x.getRequestMethod(), path, x, body);
                    if (wrong == null) {
                        next++;
                    }
                }
                String request = x.getRequestMethod() + " " + path + " " + new String(body, StandardCharsets.UTF_8);
                if (wrong != null) {
                    problems.add((e == null ? "after the last exchange" : e.name()) + ": " + wrong + "; the request was " + request);
                } else {
                    answered.add(e.name());
                }
            }
            if (wrong != null) {
                byte[] error = Json.write(Map.of("error", "replay: " + wrong)).getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "application/json");
                x.sendResponseHeaders(500, error.length);
                x.getResponseBody().write(error);
                return;
            }
            Map<?, ?> response = e.response();
            byte[] answer = response.containsKey("json") ? Json.write(response.get("json")).getBytes(StandardCharsets.UTF_8)
                    : ((String) response.get("text")).getBytes(StandardCharsets.UTF_8);
            if (response.get("content_type") != null) {
                x.getResponseHeaders().set("Content-Type", (String) response.get("content_type"));
            }
            x.sendResponseHeaders(((Number) response.get("status")).intValue(), answer.length == 0 ? -1 : answer.length);
            x.getResponseBody().write(answer);
        }
    }

    private static String differences(Exchange e, String method, String path, HttpExchange x, byte[] body) {
        if (!e.method().equals(method) || !e.path().equals(path)) {
            return "expected " + e.method() + " " + e.path();
        }
        String headers = headers(e, x);
        if (headers != null) {
            return headers;
        }
        Map<?, ?> r = e.request();
        if (r.containsKey("json")) {
            Object actual;
            try {
                actual = Json.parse(new String(body, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException bad) {
                return "expected the JSON body " + Json.write(r.get("json")) + ", got text that is not JSON (" + bad.getMessage() + ")";
            }
            return same(r.get("json"), actual) ? null : "expected the JSON body " + Json.write(r.get("json"));
        }
        byte[] wanted = r.containsKey("text") ? ((String) r.get("text")).getBytes(StandardCharsets.UTF_8) : new byte[0];
        return Arrays.equals(wanted, body) ? null : "expected the body '" + new String(wanted, StandardCharsets.UTF_8) + "'";
    }

    private static String headers(Exchange e, HttpExchange x) {
        for (Map.Entry<?, ?> h : e.headers().entrySet()) {
            String name = (String) h.getKey();
            Object want = "Authorization".equals(name) && h.getValue() != null ? "Bearer " + TOKEN : h.getValue();
            String got = x.getRequestHeaders().getFirst(name);
            if (!Objects.equals(want, got)) {
                return "expected the header " + name + ": " + want + ", got " + got;
            }
        }
        for (String name : List.of("X-Cohort-Item")) {
            if (!e.headers().containsKey(name) && x.getRequestHeaders().getFirst(name) != null) {
                return "expected no " + name + " header, got " + x.getRequestHeaders().getFirst(name);
            }
        }
        return null;
    }

    /** Equal as JSON: objects in any order, numbers by value. */
    static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            return x.keySet().equals(y.keySet()) && x.keySet().stream().allMatch(k -> same(x.get(k), y.get(k)));
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            Iterator<?> i = y.iterator();
            return x.stream().allMatch(v -> same(v, i.next()));
        }
        return Objects.equals(a, b);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
