package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import io.cohort.worker.CohortClient;
import io.cohort.worker.Item;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The queue against its peer with the same semantics: Redis Streams with a consumer group
 * (at-least-once, pending entries re-claimable), Debian's redis-server with AOF appendfsync
 * everysec, started here. Same item size, same number of consumers, same batch size; runs are
 * interleaved and the medians compared, since this machine is shared and noisy.
 *
 * <p>Cohort is measured three ways: durable with each take's answer confirming the acknowledgement
 * it carries (the default), durable with {@code asyncAck()} (the answer does not wait for that
 * commit; the loop's end does), and with durability off. Then the consumer count is swept (1, 4,
 * 16, 64; single items), each count against Redis in the same round. The load average is printed
 * before and after: the bench client, the session and redis-server share this machine's cores.
 *
 * <p>Usage: QueueBench [items=20000] [consumers=4] [rounds=3] [sweep rounds=2, 0 for none]
 */
public final class QueueBench {
    static final int PAYLOAD = 100;

    public static void main(String[] args) throws Exception {
        int items = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int consumers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int sweepRounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Path tmp = Files.createTempDirectory("cohort-queue-bench");
        System.out.printf("queue benchmark: %d items of %d bytes, %d consumers, %d rounds, %d cores%n",
                items, PAYLOAD, consumers, rounds, Runtime.getRuntime().availableProcessors());
        System.out.println("load average at the start: " + loadAverage());
        Process redis = startRedis(tmp);
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        try (Session durable = open(tmp, "commit"); Session off = open(tmp, "off")) {
            // Round 0 warms up both sides' JIT compilers and is not counted.
            for (int round = 0; round <= rounds; round++) {
                Map<String, List<Double>> into = round == 0 ? new java.util.HashMap<>() : rates;
                System.out.println(round == 0 ? "warm-up round (not counted)" : "round " + round);
                for (int batch : new int[] {1, 100}) {
                    record(into, "redis streams, batch " + batch, redis(redisPort, items, consumers, batch, round));
                    record(into, "cohort durable, batch " + batch, cohort(durable, items, consumers, batch, round, false));
                    record(into, "cohort durable asyncAck, batch " + batch, cohort(durable, items, consumers, batch, round, true));
                    record(into, "cohort durability off, batch " + batch, cohort(off, items, consumers, batch, round, false));
                }
            }
            System.out.println();
            System.out.printf("%-34s %12s %10s%n", "items/s (median of " + rounds + ")", "items/s", "vs redis");
            for (int batch : new int[] {1, 100}) {
                double base = median(rates.get("redis streams, batch " + batch));
                for (String name : new String[] {"redis streams", "cohort durable", "cohort durable asyncAck", "cohort durability off"}) {
                    double m = median(rates.get(name + ", batch " + batch));
                    System.out.printf("%-34s %12.0f %9.2fx%n", name + ", batch " + batch, m, m / base);
                }
            }
            double commit1 = median(rates.get("cohort durable, batch 1"));
            double off1 = median(rates.get("cohort durability off, batch 1"));
            System.out.printf("durability on vs off, batch 1: %.2fx%n", commit1 / off1);
            System.out.println("load average after the comparison: " + loadAverage());
            if (sweepRounds > 0) {
                sweep(durable, items, sweepRounds);
            }
            deathToAvailable(durable, 5);
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Single items with 1, 4, 16 and 64 consumers, Redis and cohort durable (both ways) in each round,
     * {@code rounds} rounds after a warm-up one; medians and ratios against Redis at the same count.
     */
    private static void sweep(Session durable, int items, int rounds) throws Exception {
        int[] counts = {1, 4, 16, 64};
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        System.out.println();
        System.out.printf("consumers sweep: %d items of %d bytes, single items, %d rounds after a warm-up%n", items, PAYLOAD, rounds);
        for (int round = 0; round <= rounds; round++) {
            Map<String, List<Double>> into = round == 0 ? new java.util.HashMap<>() : rates;
            System.out.println(round == 0 ? "warm-up round (not counted)" : "sweep round " + round);
            for (int c : counts) {
                int r = 100 + round * 10 + c;
                record(into, "redis streams, " + c + " consumers", redis(redisPort, items, c, 1, r));
                record(into, "cohort durable, " + c + " consumers", cohort(durable, items, c, 1, r, false));
                record(into, "cohort asyncAck, " + c + " consumers", cohort(durable, items, c, 1, r, true));
            }
        }
        System.out.println();
        System.out.printf("%-12s %14s %16s %8s %16s %8s%n", "consumers", "redis items/s", "durable items/s", "vs redis",
                "asyncAck items/s", "vs redis");
        for (int c : counts) {
            double base = median(rates.get("redis streams, " + c + " consumers"));
            double d = median(rates.get("cohort durable, " + c + " consumers"));
            double a = median(rates.get("cohort asyncAck, " + c + " consumers"));
            System.out.printf("%-12d %14.0f %16.0f %7.2fx %16.0f %7.2fx%n", c, base, d, d / base, a, a / base);
        }
        System.out.println("load average after the sweep: " + loadAverage());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static Session open(Path tmp, String durability) {
        return Session.open(SessionOptions.builder().home(tmp.resolve("sessions")).console(null).cpuOvercommit(8)
                .setting("durability", durability).build());
    }

    private static void record(Map<String, List<Double>> rates, String name, double rate) {
        rates.computeIfAbsent(name, k -> new ArrayList<>()).add(rate);
        System.out.printf("  %-34s %10.0f items/s%n", name, rate);
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String payload(int i) {
        String head = "{\"i\":" + i + ",\"pad\":\"";
        return head + "x".repeat(Math.max(0, PAYLOAD - head.length() - 2)) + "\"}";
    }

    // --- cohort -------------------------------------------------------------------------------

    private static double cohort(Session session, int items, int consumers, int batch, int round, boolean asyncAck)
            throws Exception {
        String name = "bench-" + round + "-" + batch + (asyncAck ? "-async" : "");
        WorkQueue q = session.queue(name);
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            values.add(io.cohort.core.Json.read(payload(i)));
        }
        q.putAll(values);
        q.close();
        String token = session.controlPlaneToken();
        AtomicLong consumed = new AtomicLong();
        return timed(consumers, c -> () -> {
            CohortClient client = new CohortClient(session.controlPlaneUrl(), token, "c" + c);
            io.cohort.worker.WorkItems queue = client.queue(name).batch(batch);
            for (Item item : asyncAck ? queue.asyncAck() : queue) {
                if (item.json().length() < 10) {
                    throw new IllegalStateException("short item " + item);
                }
                consumed.incrementAndGet();
            }
            return null;
        }, items, consumed);
    }

    // --- redis --------------------------------------------------------------------------------

    private static int redisPort;

    private static Process startRedis(Path tmp) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        Path dir = Files.createDirectories(tmp.resolve("redis"));
        Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--protected-mode", "yes").redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Jedis j = new Jedis("127.0.0.1", redisPort)) {
                if ("PONG".equals(j.ping())) {
                    System.out.println("redis-server " + j.info("server").lines().filter(l -> l.startsWith("redis_version"))
                            .findFirst().orElse("") + " on 127.0.0.1:" + redisPort + " (AOF, appendfsync everysec)");
                    return p;
                }
            } catch (RuntimeException notYet) {
                Thread.sleep(50);
            }
        }
        p.destroy();
        throw new IOException("redis-server did not start; see " + dir.resolve("redis.log")
                + " (install it with apt-get install redis-server)");
    }

    private static double redis(int port, int items, int consumers, int batch, int round) throws Exception {
        String stream = "bench-" + round + "-" + batch;
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            j.xgroupCreate(stream, "g", new StreamEntryID(0, 0), true);
            redis.clients.jedis.Pipeline p = j.pipelined();
            for (int i = 0; i < items; i++) {
                p.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("v", payload(i)));
            }
            p.sync();
        }
        AtomicLong consumed = new AtomicLong();
        return timed(consumers, c -> () -> {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(batch);
                while (consumed.get() < items) {
                    List<Map.Entry<String, List<StreamEntry>>> r = j.xreadGroup("g", "c" + c, params,
                            Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
                    if (r == null || r.isEmpty() || r.get(0).getValue().isEmpty()) {
                        continue;
                    }
                    List<StreamEntry> entries = r.get(0).getValue();
                    StreamEntryID[] ids = new StreamEntryID[entries.size()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = entries.get(i).getID();
                    }
                    j.xack(stream, "g", ids);
                    consumed.addAndGet(ids.length);
                }
            }
            return null;
        }, items, consumed);
    }

    // --- common -------------------------------------------------------------------------------

    interface ConsumerFactory {
        Callable<Void> consumer(int index);
    }

    private static double timed(int consumers, ConsumerFactory factory, int items, AtomicLong consumed) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        try {
            long start = System.nanoTime();
            List<Future<Void>> fs = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                fs.add(pool.submit(factory.consumer(c)));
            }
            for (Future<Void> f : fs) {
                f.get(10, TimeUnit.MINUTES);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (consumed.get() < items) {
                throw new IllegalStateException("only " + consumed.get() + " of " + items + " items were consumed");
            }
            return items / seconds;
        } finally {
            pool.shutdownNow();
        }
    }

    /** From a worker's SIGKILL to its leased items being ready again, through the session's own death detection. */
    private static void deathToAvailable(Session session, int runs) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            String name = "death-" + run;
            WorkQueue q = session.queue(name);
            List<Integer> values = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                values.add(i);
            }
            q.putAll(values);
            Worker w = session.launch(LaunchRequest.of(1, 0.5, 0.2, Program.shell(
                    "curl -sf -X POST -H \"Authorization: Bearer $COHORT_TOKEN\" -H \"X-Cohort-Worker: $CDSW_ENGINE_ID\""
                            + " -d '{\"max\":10,\"wait_ms\":0}' \"$COHORT_API/v1/queues/" + name + "/take\" >/dev/null"
                            + " && echo taken && exec sleep 300"))).get(0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (q.progress().inFlight() < 10 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            if (q.progress().inFlight() < 10) {
                throw new IllegalStateException("the worker did not lease its items: " + session.output(w));
            }
            long start = System.nanoTime();
            ProcessHandle.of(session.get(w).pid()).ifPresent(ProcessHandle::destroyForcibly);
            while (q.progress().ready() < 100) {
                Thread.onSpinWait();
            }
            ms.add((System.nanoTime() - start) / 1e6);
            q.close();
        }
        System.out.printf("worker SIGKILL -> its 10 leased items ready again: median %.1f ms (runs: %s)%n", median(ms), ms);
    }

}
