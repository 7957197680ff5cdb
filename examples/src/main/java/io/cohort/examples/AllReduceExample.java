package io.cohort.examples;

import io.cohort.AwaitResult;
import io.cohort.GroupRole;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.WorkerGroup;
import io.cohort.Workers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A torch-style rendezvous in Java (docs/groups.md): a group of n Java workers meets at rank 0's
 * MASTER_ADDR/MASTER_PORT and all-reduces the sum of (rank+1)^2 over plain sockets.
 *
 * <p>Arguments: [n=4]
 */
public final class AllReduceExample {
    private AllReduceExample() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        List<String> sums = run(Workers.session(), n, System.out);
        long expected = (long) n * (n + 1) * (2L * n + 1) / 6;
        boolean ok = sums.size() == n && sums.stream().allMatch(s -> s.endsWith("sum " + expected));
        System.out.println(ok ? "allreduce example: all " + n + " ranks agree on " + expected
                : "allreduce example: expected " + n + " ranks to print sum " + expected + ", got " + sums);
        if (!ok) {
            System.exit(1);
        }
    }

    /** Runs the all-reduce on n workers; returns each rank's line, by rank. */
    public static List<String> run(Session session, int n, PrintStream out) throws IOException {
        Path dir = Files.createDirectories(session.directory().resolve("allreduce"));
        Path source = WorkerSources.extract(dir, "AllReduceWorker.java");
        String name = WorkerSources.newGroupName(session, "allreduce");
        WorkerGroup g = session.launchGroup(name, List.of(GroupRole.of("rank",
                LaunchRequest.builder().n(n).cpu(0.25).memoryGb(0.5).program(Program.script(source.toString())).build())));
        out.printf("allreduce example: group %s of %d Java workers%n", g.name(), n);
        AwaitResult done = g.await(true, Duration.ofSeconds(180));
        if (!done.failures().isEmpty()) {
            out.println("workers that failed: " + done.failures());
        }
        return g.workers().stream().flatMap(w -> session.output(w).stream()).map(OutputLine::text)
                .filter(l -> l.startsWith("rank ")).toList();
    }
}
