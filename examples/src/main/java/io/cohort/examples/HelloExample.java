package io.cohort.examples;

import io.cohort.AwaitResult;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.Workers;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Hello world: n workers each print a greeting with their id and address (CDSW_ENGINE_ID,
 * CDSW_IP_ADDRESS), and exit; the session shows every line as it comes, then a summary: how many
 * succeeded and failed, the wall time, and each worker's address.
 *
 * <p>Arguments: [workers=4]
 */
public final class HelloExample {
    /** What every worker runs. */
    static final String GREETING = "System.out.println(\"Hello from worker \" + System.getenv(\"CDSW_ENGINE_ID\")"
            + " + \" at \" + System.getenv(\"CDSW_IP_ADDRESS\"));";

    private HelloExample() {
    }

    /** How it went: the workers as they ended, and the wall time from the launch to the last exit. */
    public record Summary(List<Worker> workers, int succeeded, int failed, Duration wall) {
        public boolean ok() {
            return failed == 0 && succeeded == workers.size();
        }
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        Summary s = run(Workers.session(), n, System.out);
        if (!s.ok()) {
            System.exit(1);
        }
    }

    /** Launches n greeting workers, waits for them, and prints the summary to {@code out}. */
    public static Summary run(Session session, int n, PrintStream out) {
        long start = System.nanoTime();
        List<Worker> launched = session.launch(LaunchRequest.builder().n(n).cpu(0.25).memoryGb(0.25)
                .program(Program.code(GREETING)).build());
        AwaitResult done = session.await(launched, true, Duration.ofSeconds(120));
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        List<Worker> workers = launched.stream().map(session::get).toList();
        int succeeded = (int) workers.stream().filter(w -> w.status() == Status.SUCCEEDED).count();
        int failed = workers.size() - succeeded;

        out.println();
        out.printf(Locale.ROOT, "hello example: %d workers, %d succeeded, %d failed, wall time %.2f s (launch to the last exit)%n",
                n, succeeded, failed, wall.toNanos() / 1e9);
        out.printf(Locale.ROOT, "  %-6s %-10s %-16s %8s  %s%n", "ID", "STATUS", "ADDRESS", "SECONDS", "EXIT");
        for (Worker w : workers) {
            out.printf(Locale.ROOT, "  %-6s %-10s %-16s %8.2f  %s%n", w.id(), w.status().label(), w.ipAddress(),
                    w.duration().toNanos() / 1e9, (w.exitCode() == null ? "-" : w.exitCode().toString())
                            + (w.reason() == null ? "" : " (" + w.reason() + ")"));
        }
        if (!done.failures().isEmpty()) {
            out.println("workers that did not succeed: " + done.failures());
        }
        return new Summary(workers, succeeded, failed, wall);
    }
}
