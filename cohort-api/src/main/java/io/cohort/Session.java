package io.cohort;

import io.cohort.spi.SessionFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A session owns its workers: it launches, lists, awaits and stops them, shows their output,
 * and stops every one of them when it closes (or when its JVM dies, however it dies).
 *
 * <p>Most users never open one: {@link Workers} uses the JVM's default session. Programs that
 * want their own (tests, servers) call {@link #open(SessionOptions)}.
 *
 * <p>Wherever workers are named, a {@link Worker} or its id ({@code "w1"}) is accepted.
 */
public interface Session extends AutoCloseable {

    /** A random id, unique to this session (also its workers' CDSW_MASTER_ID). */
    String id();

    /** Where the session keeps its files: one folder per worker with its output log. */
    Path directory();

    /** The directory workers start in; relative script paths are found from here. */
    Path workingDirectory();

    /** The session's address as workers see it (their CML_MASTER_IP / CDSW_MASTER_IP). */
    String masterAddress();

    /** The options it was opened with. */
    SessionOptions options();

    /**
     * Starts {@code request.n()} workers. Everything is checked first (arguments, kernel,
     * script, compilation, capacity): if any check fails, nothing starts and a
     * {@link CohortException} says why. Returns one description per worker, in index order;
     * a worker that could not start is returned with status FAILED and its reason.
     */
    List<Worker> launch(LaunchRequest request);

    /**
     * Launches a named group: each role's workers, ranked in the order the roles are given, sharing
     * one rendezvous (docs/groups.md). Checked and admitted whole, as {@link #launch} is: if one
     * role cannot start, none does. The name is letters, digits, '.', '_' or '-' and must be new;
     * names {@code launch-K} are the plain launches'.
     */
    WorkerGroup launchGroup(String name, List<GroupRole> roles);

    /** A group by name: one launched with {@link #launchGroup}, or {@code launch-K}, the K-th plain launch. */
    WorkerGroup group(String name);

    /** Every group of the session (plain launches included), in launch order. */
    List<WorkerGroup> groups();

    /**
     * An elastic pool on {@code queue}: launches workers like {@code worker} (its n is ignored) while
     * items wait, and retires idle ones, within {@code options} (docs/groups.md).
     */
    ElasticPool pool(String queue, LaunchRequest worker, PoolOptions options);

    /** All workers of the session, running and ended, in launch order. */
    List<Worker> list();

    /** One worker's current description. */
    Worker get(Object workerOrId);

    /**
     * Waits until every given worker (all, when none is given) has ended
     * ({@code waitForCompletion}) or is running (otherwise). Wakes on the state change itself.
     * A zero timeout waits without limit.
     */
    AwaitResult await(Collection<?> workersOrIds, boolean waitForCompletion, Duration timeout);

    /** Stops the given workers (all, when none is given): politely, then by force after the grace period. */
    List<Worker> stop(Collection<?> workersOrIds);

    /** Everything the worker has written so far, line by line, as kept on disk. */
    List<OutputLine> output(Object workerOrId);

    /** The file holding the worker's output ("out | " / "err | " before each line). */
    Path outputFile(Object workerOrId);

    /** The named queue, created on first use with default options. */
    WorkQueue queue(String name);

    /** The named queue, created on first use with these options (later calls may not change them). */
    WorkQueue queue(String name, QueueOptions options);

    /** Every queue of the session, in name order. */
    List<WorkQueue> queues();

    /**
     * For a resumed session: the launches whose workers were still running when the session ended,
     * each with n = how many were; launch them again to carry on. Empty for a new session.
     */
    List<LaunchRequest> interruptedLaunches();

    /** The results workers stored. */
    Results results();

    /** The snapshots workers saved. */
    Snapshots snapshots();

    /** The base URL of the session's HTTP control plane (workers get it as COHORT_API). */
    String controlPlaneUrl();

    /** The token every control-plane request must carry (workers get it as COHORT_TOKEN). Keep it secret. */
    String controlPlaneToken();

    /**
     * Waits until the session has closed: by {@link #close()}, by a client's
     * {@code POST /v1/session/close}, or by its JVM's shutdown. A zero timeout waits without limit.
     * Returns whether it closed within the timeout. For programs that serve a session
     * ({@code cohort serve}).
     */
    boolean awaitClosed(Duration timeout) throws InterruptedException;

    /** Stops every worker and releases everything the session holds. Idempotent. */
    @Override
    void close();

    /** Opens a new session with default options. */
    static Session open() {
        return open(SessionOptions.builder().build());
    }

    /** Opens a new session. */
    static Session open(SessionOptions options) {
        return factory().open(options);
    }

    /**
     * Reopens the session whose directory is given, after a crash or a normal end: its queues,
     * results and snapshots come back, and items that were in flight are put back on their queues.
     * Workers are not restarted; launch them again (or use {@code cohort resume DIR}).
     */
    static Session resume(Path sessionDirectory, SessionOptions options) {
        return factory().resume(sessionDirectory, options);
    }

    /**
     * Attaches to a session that runs elsewhere ({@code cohort serve}, another JVM), from its
     * connection file ({@code <session dir>/connection.json}) or its session directory. Launch, list,
     * await, stop and output work as on a session of this JVM, and its workers' output is printed on
     * {@code System.out}; {@code close()} only detaches: the session goes on. Queues, results and
     * snapshots are not offered on an attached session (use {@code CohortClient}).
     */
    static Session attach(Path connectionFile) {
        return factory().attach(connectionFile, System.out);
    }

    /**
     * The session implementation: cohort-core's, found by its name when it is on the class path, else
     * the first {@link SessionFactory} that {@link ServiceLoader} finds. The name comes first because a
     * ServiceLoader lookup reads every jar of the class path: 250-400 ms of a fresh JVM's
     * {@code open()} with cohort's 160 library jars, about 20 ms with the single cohort jar.
     */
    private static SessionFactory factory() {
        try {
            Class<?> known = Class.forName("io.cohort.core.CohortSessionFactory", true, Session.class.getClassLoader());
            if (SessionFactory.class.isAssignableFrom(known)) {
                return (SessionFactory) known.getConstructor().newInstance();
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            // Not on the class path (or not usable): look for another implementation below.
        }
        for (SessionFactory factory : ServiceLoader.load(SessionFactory.class, Session.class.getClassLoader())) {
            return factory;
        }
        for (SessionFactory factory : ServiceLoader.load(SessionFactory.class)) {
            return factory;
        }
        throw new CohortException("no cohort session implementation on the class path: add cohort-core and a backend"
                + " (cohort-local) to it, or use the cohort jar");
    }
}
