package io.cohort.worker.agent;

import io.cohort.worker.Json;
import io.cohort.worker.internal.LineSplitter;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The program's output on its way to the session: its streams split into lines as local workers'
 * are, a bounded queue (a program that writes faster than the session takes lines waits on its
 * pipe), and one thread that ships whatever gathered while the previous batch was in flight, at
 * most 2000 lines and 1 MiB a batch.
 */
final class OutputShipper {
    static final int MAX_BATCH_LINES = 2000;
    static final int MAX_BATCH_BYTES = 1 << 20;
    /** Lines waiting to be shipped. */
    private static final int QUEUED_LINES = 10_000;
    private static final String[] END = new String[0];

    private final SessionLink link;
    private final BooleanSupplier dropping;
    private final Consumer<String> onFailure;
    private final LinkedBlockingQueue<String[]> lines = new LinkedBlockingQueue<>(QUEUED_LINES);

    /**
     * @param link      where the lines go
     * @param dropping  true once lines can no longer be shipped (the session is gone, or the agent failed)
     * @param onFailure told why, when reading or shipping broke
     */
    OutputShipper(SessionLink link, BooleanSupplier dropping, Consumer<String> onFailure) {
        this.link = link;
        this.dropping = dropping;
        this.onFailure = onFailure;
    }

    /** A thread that splits {@code in} into lines of {@code stream} ("out" or "err") and queues them (a line over 1 MiB comes in pieces). */
    Thread pump(InputStream in, String stream) {
        Thread t = Agent.daemon("cohort-agent-" + stream, () -> {
            try (in) {
                LineSplitter.pump(in, line -> offer(new String[] {stream, line}));
            } catch (IOException e) {
                offer(new String[] {"err", "[cohort agent: reading the program's std" + stream + " failed: " + e.getMessage() + "]"});
            } catch (Throwable e) {
                onFailure.accept("reading the program's std" + stream + " failed: " + e);
            }
        });
        t.start();
        return t;
    }

    /** After the last line: the shipping thread ends once everything before it is shipped. */
    void end() {
        offer(END);
    }

    /** The shipping thread, started. */
    Thread start() {
        Thread t = Agent.daemon("cohort-agent-output", this::ship);
        t.start();
        return t;
    }

    /** Queues a line, waiting while the queue is full; lines are dropped once they can no longer be shipped. */
    private void offer(String[] line) {
        try {
            while (!dropping.getAsBoolean() && !lines.offer(line, 200, TimeUnit.MILLISECONDS)) {
                // The session takes lines slower than the program writes them: the program waits on its pipe.
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ships lines as they come: whatever gathered while the previous batch was in flight goes next. */
    private void ship() {
        try {
            List<String[]> batch = new ArrayList<>();
            boolean end = false;
            while (!end && !link.gone()) {
                if (batch.isEmpty()) {
                    batch.add(lines.take());
                }
                int bytes = 0;
                StringBuilder body = new StringBuilder("{\"lines\":[");
                int taken = 0;
                for (int i = 0; ; i++) {
                    String[] l = i < batch.size() ? batch.get(i) : lines.poll();
                    if (l == null) {
                        break;
                    }
                    if (i >= batch.size()) {
                        batch.add(l);
                    }
                    if (l == END) {
                        end = true;
                        break;
                    }
                    String json = Json.write(List.of(l[0], l[1]));
                    if (taken > 0 && (taken >= MAX_BATCH_LINES || bytes + json.length() > MAX_BATCH_BYTES)) {
                        break;
                    }
                    body.append(taken == 0 ? "" : ",").append(json);
                    bytes += json.length();
                    taken++;
                }
                if (taken > 0) {
                    link.output(body.append("]}").toString());
                }
                batch.subList(0, Math.min(batch.size(), taken + (end ? 1 : 0))).clear();
            }
        } catch (SessionLink.SessionGone e) {
            // The link told the agent already.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            onFailure.accept("shipping the program's output failed: " + e.getMessage());
        }
    }
}
