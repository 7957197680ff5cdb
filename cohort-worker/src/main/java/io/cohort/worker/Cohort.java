package io.cohort.worker;

import java.time.Duration;

import io.cohort.worker.internal.ControlPlaneClient;
import java.util.List;

/**
 * The worker side of cohort: what a program running inside a worker can ask about itself and its
 * session. JDK only, so it costs nothing at start-up. The values come from the environment the
 * session gave the worker; the same names work from any language.
 */
public final class Cohort {
    private Cohort() {
    }

    /** This worker's id ("w3"), also in CDSW_ENGINE_ID. */
    public static String workerId() {
        return require(WorkerVariables.CDSW_ENGINE_ID);
    }

    /** The session's id, also in CDSW_MASTER_ID. */
    public static String sessionId() {
        return require(WorkerVariables.CDSW_MASTER_ID);
    }

    /** The session's address (CML_MASTER_IP): where the session's sockets and control plane listen. */
    public static String masterIp() {
        return require(WorkerVariables.CML_MASTER_IP);
    }

    /** This worker's own address (CDSW_IP_ADDRESS): bind servers here so workers never collide. */
    public static String ipAddress() {
        return require(WorkerVariables.CDSW_IP_ADDRESS);
    }

    /** The port a web app of this worker should listen on, at {@link #ipAddress()}. */
    public static int appPort() {
        return Integer.parseInt(require(WorkerVariables.CDSW_APP_PORT));
    }

    /** This worker's position in its launch, from 0. */
    public static int index() {
        return Integer.parseInt(require(WorkerVariables.COHORT_WORKER_INDEX));
    }

    /** True when this program runs inside a cohort worker. */
    public static boolean insideWorker() {
        return System.getenv(WorkerVariables.CDSW_ENGINE_ID) != null && "worker".equals(System.getenv(WorkerVariables.CDSW_ENGINE_TYPE));
    }

    /** The item the current loop body works on, for tagging results and failing it on a crash. */
    record Current(WorkItems queue, Item item) {
    }

    static final ThreadLocal<Current> currentItem = new ThreadLocal<>();
    private static volatile ControlPlaneClient client;
    private static volatile Thread heartbeat;

    private static synchronized ControlPlaneClient client() {
        if (client == null) {
            client = ControlPlaneClient.fromEnvironment();
            installFailureHandler();
        }
        return client;
    }

    /** The named queue of the session, to iterate over: {@code for (Item item : Cohort.queue("params"))}. */
    public static WorkItems queue(String name) {
        return new CohortClient(client()).queue(name);
    }

    /** The session's results store. */
    public static StoredResults results() {
        return new CohortClient(client()).results();
    }

    /** The session's snapshots. */
    public static SavedSnapshots snapshots() {
        return new CohortClient(client()).snapshots();
    }

    /**
     * Every worker of the session, this one included, running and ended, in launch order: their ids,
     * statuses and addresses, so that workers can find each other (one serves on its
     * {@link #ipAddress()} and {@link #appPort()}, the others look up its address here).
     */
    public static List<Peer> workers() {
        return new CohortClient(client()).workers();
    }

    /**
     * Waits until this worker's group is ready -- every member runs, every service member is ready --
     * and returns its rendezvous: rank 0's address and port, every member's, this worker's rank and
     * TF_CONFIG (docs/groups.md). Throws {@link IllegalStateException} naming the member when one
     * ended first, or when {@code timeout} (zero: none) passes.
     */
    public static Rendezvous rendezvous(Duration timeout) {
        return Rendezvous.await(client(), require(WorkerVariables.COHORT_GROUP), workerId(), timeout);
    }

    static Long currentItemId() {
        Current c = currentItem.get();
        return c == null ? null : c.item().id();
    }

    /**
     * When an exception escapes the loop over a queue, the item being worked on is failed with that
     * exception before the worker ends, so its error is kept with it.
     */
    private static void installFailureHandler() {
        Thread main = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = main.getUncaughtExceptionHandler();
        main.setUncaughtExceptionHandler((t, e) -> {
            Current c = currentItem.get();
            if (c != null) {
                try {
                    c.queue().fail(c.item(), WorkItems.stackTrace(e));
                } catch (RuntimeException ignored) {
                    // The session is gone; the item comes back when its lease ends.
                }
            }
            previous.uncaughtException(t, e);
        });
    }

    /**
     * Keeps this worker's leases alive while it works on long items: a heartbeat every 5 s, or a third
     * of the queue's lease when that is shorter (COHORT_HEARTBEAT_MS overrides).
     */
    static synchronized void startHeartbeat(ControlPlaneClient c, long leaseMillis) {
        if (heartbeat != null) {
            return;
        }
        String configured = System.getenv(WorkerVariables.COHORT_HEARTBEAT_MS);
        long every = configured != null ? Long.parseLong(configured) : Math.max(50, Math.min(5000, leaseMillis / 3));
        heartbeat = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(every);
                    c.callJson("POST", "/v1/heartbeat", "{}", null, 30_000);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // Missed one; the next may get through before the lease runs out.
                }
            }
        }, "cohort-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null) {
            throw new IllegalStateException(name + " is not set: this program is not running inside a cohort worker");
        }
        return v;
    }
}
