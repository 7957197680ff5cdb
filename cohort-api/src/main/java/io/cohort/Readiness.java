package io.cohort;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a service worker shows it is ready: a TCP port that accepts connections, an HTTP path that
 * answers (any status below 500), or a line in its output. The session checks it from the moment
 * the worker runs; {@link Session#await} with {@code waitForCompletion=false} returns for a service
 * worker only once it is ready, and a group's rendezvous waits for its services to be ready.
 *
 * @param kind    what is checked
 * @param port    the port for {@link Kind#PORT} and {@link Kind#HTTP}, on the worker's own address; 0 for a line
 * @param path    the HTTP path for {@link Kind#HTTP} (starting with '/'); null otherwise
 * @param pattern the regular expression a line of output must contain for {@link Kind#LINE}; null otherwise
 */
public record Readiness(Kind kind, int port, String path, String pattern) {
    public enum Kind { PORT, HTTP, LINE }

    public Readiness {
        Objects.requireNonNull(kind, "kind: PORT, HTTP or LINE");
        if (kind != Kind.LINE && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("a readiness port must be from 1 to 65535, got " + port);
        }
        if (kind == Kind.HTTP && (path == null || !path.startsWith("/"))) {
            throw new IllegalArgumentException("a readiness HTTP path must start with '/', such as /health, got '" + path + "'");
        }
        if (kind == Kind.LINE) {
            if (pattern == null || pattern.isEmpty()) {
                throw new IllegalArgumentException("a readiness line needs a pattern (a regular expression), such as 'listening on'");
            }
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("the readiness pattern is not a regular expression: " + e.getDescription()
                        + " in '" + pattern + "'");
            }
        }
    }

    /** Ready when the worker accepts TCP connections on {@code port} at its address. */
    public static Readiness port(int port) {
        return new Readiness(Kind.PORT, port, null, null);
    }

    /** Ready when {@code GET http://<worker address>:port<path>} answers with a status below 500. */
    public static Readiness http(int port, String path) {
        return new Readiness(Kind.HTTP, port, path, null);
    }

    /** Ready when a line of the worker's output (stdout or stderr) contains a match of {@code regex}. */
    public static Readiness line(String regex) {
        return new Readiness(Kind.LINE, 0, null, regex);
    }

    /** In words, for notes and messages: "port 8786", "GET :8080/health", "a line matching 'ready'". */
    public String describe() {
        return switch (kind) {
            case PORT -> "port " + port + " accepting connections";
            case HTTP -> "GET :" + port + path + " answering";
            case LINE -> "a line matching '" + pattern + "'";
        };
    }
}
