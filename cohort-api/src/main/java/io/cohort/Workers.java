package io.cohort;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The one-line API, for JShell and scripts: {@code import static io.cohort.Workers.*;}
 *
 * <pre>{@code
 * var ws = launchWorkers(2, 0.2, 0.5, "System.out.println(\"Hello from a worker\")");
 * listWorkers();
 * awaitWorkers(ws, true, Duration.ofSeconds(60));
 * stopWorkers();
 * }</pre>
 *
 * Every call goes to this JVM's default session, opened on first use with default
 * {@link SessionOptions} and closed (with all its workers stopped) when the JVM exits.
 */
public final class Workers {
    private static Session defaultSession;

    private Workers() {
    }

    /**
     * This JVM's default session, opened on first use; or, when the setting {@code cohort.attach}
     * ({@code -Dcohort.attach}, {@code COHORT_ATTACH}) names a running session's connection file or
     * directory ({@code cohort attach} sets it), that session, attached.
     */
    public static synchronized Session session() {
        if (defaultSession == null) {
            String attach = SessionOptions.configured("attach");
            defaultSession = attach != null ? Session.attach(java.nio.file.Path.of(attach)) : Session.open();
        }
        return defaultSession;
    }

    /** Launches n workers running Java code (or a shell command, when the code starts with '!'). */
    public static List<Worker> launchWorkers(int n, double cpu, double memoryGb, String code) {
        return launchWorkers(LaunchRequest.of(n, cpu, memoryGb, Program.code(code)));
    }

    /** Launches n workers running a program: {@code script("train.py")}, {@code code(Kernel.R, "...")}. */
    public static List<Worker> launchWorkers(int n, double cpu, double memoryGb, Program program) {
        return launchWorkers(LaunchRequest.of(n, cpu, memoryGb, program));
    }

    /** The reference's full form: n, cpu, memory, GPUs, program, extra environment. */
    public static List<Worker> launchWorkers(int n, double cpu, double memoryGb, int gpus, Program program,
                                             Map<String, String> env) {
        return launchWorkers(new LaunchRequest(n, cpu, memoryGb, gpus, program, env));
    }

    public static List<Worker> launchWorkers(LaunchRequest request) {
        return session().launch(request);
    }

    /** All workers of the session, running and ended. */
    public static List<Worker> listWorkers() {
        return session().list();
    }

    /** Prints a table of the session's workers. */
    public static void showWorkers() {
        System.out.print(WorkerTable.render(listWorkers()));
    }

    /** Waits up to 60 s for every worker of the session to end. */
    public static AwaitResult awaitWorkers() {
        return awaitWorkers(List.of(), true, Duration.ofSeconds(60));
    }

    /** Waits up to 60 s for the given workers (or ids) to end. */
    public static AwaitResult awaitWorkers(Collection<?> workersOrIds) {
        return awaitWorkers(workersOrIds, true, Duration.ofSeconds(60));
    }

    /**
     * Waits for the given workers (all, when the collection is empty or null) to end, or to be
     * running when {@code waitForCompletion} is false. {@code Duration.ZERO} waits without limit.
     */
    public static AwaitResult awaitWorkers(Collection<?> workersOrIds, boolean waitForCompletion, Duration timeout) {
        return session().await(workersOrIds == null ? List.of() : workersOrIds, waitForCompletion, timeout);
    }

    /** Same, with the timeout in seconds as in the reference (0 = no limit). */
    public static AwaitResult awaitWorkers(Collection<?> workersOrIds, boolean waitForCompletion, double timeoutSeconds) {
        if (!(timeoutSeconds >= 0)) {
            throw new IllegalArgumentException("timeoutSeconds must be 0 (no limit) or more, got " + timeoutSeconds);
        }
        return awaitWorkers(workersOrIds, waitForCompletion, Duration.ofMillis(Math.round(timeoutSeconds * 1000)));
    }

    /** Stops the given workers, ids, or collections of them; every worker when none is given. */
    public static List<Worker> stopWorkers(Object... workersOrIds) {
        List<Object> flat = new ArrayList<>();
        for (Object o : workersOrIds) {
            if (o instanceof Collection<?> c) {
                flat.addAll(c);
            } else {
                flat.add(o);
            }
        }
        return session().stop(flat);
    }

    /** Everything a worker has written so far. */
    public static List<OutputLine> workerOutput(Object workerOrId) {
        return session().output(workerOrId);
    }

    /** A script file to run; the kernel comes from its extension. */
    public static Program script(String path) {
        return Program.script(path);
    }

    /** Code in a kernel: {@code code(Kernel.PYTHON3, "print(1)")}. */
    public static Program code(Kernel kernel, String code) {
        return Program.code(kernel, code);
    }

    /** A shell command line. */
    public static Program shell(String command) {
        return Program.shell(command);
    }
}
