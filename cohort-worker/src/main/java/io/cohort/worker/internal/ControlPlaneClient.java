package io.cohort.worker.internal;

import io.cohort.worker.Json;
import io.cohort.worker.WorkerVariables;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Requests to the session's control plane, with the session's token (or the worker's own credential)
 * and this worker's id: HTTP/1.1 over one kept-alive socket per thread, in TLS that trusts only the
 * session's pinned certificate when COHORT_API is https:// ({@link PinnedTls}). Each request leaves in a single write with
 * TCP_NODELAY, so a small request never waits on delayed acknowledgements (a 40 ms stall per request
 * with HttpURLConnection, which sends headers and body in separate packets). Used by the worker
 * library ({@code io.cohort.worker}) and the agent ({@code io.cohort.worker.agent}); not for users.
 */
public final class ControlPlaneClient {
    private final String host;
    private final int port;
    private final String token;
    private final String worker;
    /** For https://: sockets that trust only the pinned certificate; null for plain HTTP. */
    private final javax.net.ssl.SSLSocketFactory tls;
    private final ThreadLocal<Connection> connections = new ThreadLocal<>();

    public ControlPlaneClient(String base, String token, String worker) {
        this(base, token, worker, null);
    }

    /**
     * @param pin the session certificate's pin (COHORT_TLS_PIN), required for an https:// base and refused
     *            with an http:// one (a pinned worker never talks in plain text); null for plain HTTP
     */
    public ControlPlaneClient(String base, String token, String worker, String pin) {
        URI uri = URI.create(base);
        boolean https = "https".equals(uri.getScheme());
        if (!(https || "http".equals(uri.getScheme())) || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("COHORT_API must look like http://HOST:PORT or https://HOST:PORT, got " + base);
        }
        boolean pinned = pin != null && !pin.isBlank();
        if (https && !pinned) {
            throw new IllegalArgumentException("COHORT_API is " + base + " but COHORT_TLS_PIN is not set: the session's"
                    + " certificate is trusted only by its pin, which the session gives each worker");
        }
        if (!https && pinned) {
            throw new IllegalArgumentException("COHORT_TLS_PIN is set, so COHORT_API must be https://, got " + base
                    + ": a worker given a pin never sends its credential in plain text");
        }
        this.tls = https ? PinnedTls.sockets(pin) : null;
        this.host = uri.getHost();
        this.port = uri.getPort();
        this.token = token;
        this.worker = worker;
    }

    public static ControlPlaneClient fromEnvironment() {
        String api = System.getenv(WorkerVariables.COHORT_API);
        String token = System.getenv(WorkerVariables.COHORT_TOKEN);
        if (api == null || token == null) {
            throw new IllegalStateException("COHORT_API and COHORT_TOKEN are not set: this program is not running inside a"
                    + " cohort worker");
        }
        return new ControlPlaneClient(api, token, System.getenv().getOrDefault(WorkerVariables.CDSW_ENGINE_ID, "client"),
                System.getenv(WorkerVariables.COHORT_TLS_PIN));
    }

    /** {@code s} as one segment of a path (or a query value): percent-encoded, spaces as %20. */
    public static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The path of a result: any key travels as a query parameter. */
    public static String resultPath(String key) {
        return "/v1/results?key=" + segment(key);
    }

    /** One kept-alive connection. */
    private static final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        /** True once a byte of the answer has come. */
        boolean answered;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 65536);
            this.out = socket.getOutputStream();
        }
    }

    /** Sends a request; returns the response body; throws with the session's message on an error status. */
    public byte[] call(String method, String path, byte[] body, Long itemId, int readTimeoutMillis) {
        IOException last = null;
        // A kept-alive connection the server has closed fails before any answer comes; that request
        // never reached the session, so one retry on a fresh connection is safe. Once an answer has
        // begun, the request was handled, and it is never sent twice.
        for (int attempt = 0; attempt < 2; attempt++) {
            Connection c = connections.get();
            boolean reused = c != null;
            try {
                if (c == null) {
                    Socket s = new Socket();
                    s.setTcpNoDelay(true);
                    s.connect(new InetSocketAddress(host, port), 10_000);
                    if (tls != null) {
                        javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.createSocket(s, host, port, true);
                        secure.setSoTimeout(10_000);
                        secure.startHandshake();
                        s = secure;
                    }
                    c = new Connection(s);
                    connections.set(c);
                }
                c.socket.setSoTimeout(readTimeoutMillis);
                c.answered = false;
                return exchange(c, method, path, body, itemId);
            } catch (IOException | RuntimeException e) {
                if (e instanceof Refused refused) {
                    // A whole answer was read: the connection is still good.
                    throw refused;
                }
                close(c);
                last = e instanceof IOException io ? io : new IOException("malformed answer: " + e, e);
                if (!reused || c.answered || e instanceof java.net.SocketTimeoutException) {
                    break;
                }
            }
        }
        throw new UncheckedIOException("cannot reach the session at " + (tls == null ? "http://" : "https://") + host + ":" + port + " (" + method + " "
                + path + "): " + last.getMessage(), last);
    }

    private byte[] exchange(Connection c, String method, String path, byte[] body, Long itemId) throws IOException {
        byte[] payload = body == null ? new byte[0] : body;
        StringBuilder head = new StringBuilder(256)
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n")
                .append("Authorization: Bearer ").append(token).append("\r\n")
                .append("X-Cohort-Worker: ").append(worker).append("\r\n");
        if (itemId != null) {
            head.append("X-Cohort-Item: ").append(itemId).append("\r\n");
        }
        head.append("Content-Length: ").append(payload.length).append("\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[h.length + payload.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(payload, 0, request, h.length, payload.length);
        c.out.write(request);
        c.out.flush();

        int first = c.in.read();
        if (first < 0) {
            throw new IOException("the session closed the connection");
        }
        c.answered = true;
        String status = (char) first + line(c.in);
        String[] parts = status.split(" ", 3);
        int code = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String header;
        while ((header = line(c.in)) != null && !header.isEmpty()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(header.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        byte[] response = chunked ? chunked(c.in) : length >= 0 ? exactly(c.in, length) : c.in.readAllBytes();
        if (close || (!chunked && length < 0)) {
            close(c);
        }
        if (code >= 400) {
            throw new Refused("the session refused " + method + " " + path + " (" + code + "): " + message(response));
        }
        return response;
    }

    /** The session answered with an error status; the message is the session's. */
    public static final class Refused extends IllegalStateException {
        Refused(String message) {
            super(message);
        }
    }

    /** {@link #call} with a JSON body (or none) and a JSON answer. */
    public String callJson(String method, String path, String json, Long itemId, int readTimeoutMillis) {
        byte[] body = json == null ? null : json.getBytes(StandardCharsets.UTF_8);
        return new String(call(method, path, body, itemId, readTimeoutMillis), StandardCharsets.UTF_8);
    }

    private void close(Connection c) {
        connections.remove();
        if (c != null) {
            try {
                c.socket.close();
            } catch (IOException ignored) {
                // Already gone.
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int ch;
        while ((ch = in.read()) >= 0) {
            if (ch == '\n') {
                break;
            }
            if (ch != '\r') {
                b.write(ch);
            }
        }
        if (ch < 0 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] exactly(InputStream in, long length) throws IOException {
        byte[] b = in.readNBytes((int) length);
        if (b.length != length) {
            throw new IOException("the session's answer ended early");
        }
        return b;
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                throw new IOException("the session's answer ended early");
            }
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                line(in);
                return out.toByteArray();
            }
            out.write(exactly(in, n));
            line(in);
        }
    }

    private static String message(byte[] response) {
        String text = new String(response, StandardCharsets.UTF_8);
        try {
            Object o = Json.parse(text);
            if (o instanceof java.util.Map<?, ?> m && m.get("error") != null) {
                return m.get("error").toString();
            }
        } catch (IllegalArgumentException e) {
            // Not JSON: show it as it is.
        }
        return text;
    }
}
