package io.cohort.core.control;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * One WebSocket of a worker's app passed through the session ({@link AppProxy}): the browser's end
 * (Jetty's) and the app's end (the JDK's client), message by message, each way in order. The app's
 * messages are asked for one at a time, the next once the browser took the last, so a fast app waits
 * for a slow browser instead of filling the session's memory. Public only because Jetty calls its listener
 * methods through method handles; nothing outside this package uses it.
 */
public final class AppSocket implements Session.Listener.AutoDemanding {
    private final CompletableFuture<WebSocket> app = new CompletableFuture<>();
    private volatile Session browser;
    /** Sends to the app, one after another (the JDK's client takes one outstanding send at a time). */
    private CompletableFuture<?> toApp = CompletableFuture.completedFuture(null);

    /** The listener of the app's end; messages flow once the browser's end is open. */
    WebSocket.Listener appListener() {
        return new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();
            private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

            @Override
            public void onOpen(WebSocket ws) {
                // No request(1) yet: the browser's end opens first.
            }

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (!last) {
                    ws.request(1);
                    return null;
                }
                String whole = text.toString();
                text.setLength(0);
                browser.sendText(whole, Callback.from(() -> ws.request(1), x -> ws.abort()));
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                binary.write(b, 0, b.length);
                if (!last) {
                    ws.request(1);
                    return null;
                }
                ByteBuffer whole = ByteBuffer.wrap(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
                browser.sendBinary(whole, Callback.from(() -> ws.request(1), x -> ws.abort()));
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                Session b = browser;
                if (b != null) {
                    b.close(code, reason, Callback.NOOP);
                }
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                Session b = browser;
                if (b != null) {
                    b.close(1011, "the worker's app failed: " + error.getMessage(), Callback.NOOP);
                }
            }
        };
    }

    /** The app's end, once connected. */
    void connected(WebSocket ws) {
        app.complete(ws);
    }

    @Override
    public void onWebSocketOpen(Session session) {
        browser = session;
        app.thenAccept(ws -> ws.request(1));
    }

    @Override
    public void onWebSocketText(String message) {
        send(ws -> ws.sendText(message, true));
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
        callback.succeed();
        send(ws -> ws.sendBinary(copy, true));
    }

    @Override
    public void onWebSocketClose(int code, String reason) {
        // Codes a peer may not send (1005 "no code", 1006 "abnormal") go on as a normal close.
        int passed = code == 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1011)
                ? code : 1000;
        send(ws -> ws.sendClose(passed, reason == null ? "" : reason));
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        app.thenAccept(WebSocket::abort);
    }

    private synchronized void send(java.util.function.Function<WebSocket, CompletableFuture<WebSocket>> message) {
        toApp = toApp.thenCompose(x -> app).thenCompose(message).exceptionally(x -> {
            Session b = browser;
            if (b != null) {
                b.close(1011, "the worker's app went away", Callback.NOOP);
            }
            return null;
        });
    }
}
