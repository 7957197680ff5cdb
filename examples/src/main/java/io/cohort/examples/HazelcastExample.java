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
 * A Java cluster framework on workers (docs/groups.md): n Hazelcast members, one per worker, form one
 * cluster from the group's rendezvous (each member's address and port), share a distributed map and
 * leave together.
 *
 * <p>Arguments: [n=3]
 */
public final class HazelcastExample {
    private HazelcastExample() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> lines = run(Workers.session(), n, System.out);
        String expected = "a cluster of " + n + " members, ranks summing to " + (n * (n - 1) / 2);
        boolean ok = lines.size() == n && lines.stream().allMatch(l -> l.endsWith(expected));
        System.out.println(ok ? "hazelcast example: " + n + " members formed one cluster" : "hazelcast example: " + lines);
        if (!ok) {
            System.exit(1);
        }
    }

    /** Runs n members; returns each member's line, by rank. */
    public static List<String> run(Session session, int n, PrintStream out) throws IOException {
        Path dir = Files.createDirectories(session.directory().resolve("hazelcast"));
        Path source = WorkerSources.extract(dir, "HazelcastMember.java");
        String name = WorkerSources.newGroupName(session, "hazelcast");
        WorkerGroup g = session.launchGroup(name, List.of(GroupRole.of("member",
                LaunchRequest.builder().n(n).cpu(1).memoryGb(0.5).program(Program.script(source.toString())).build())));
        out.printf("hazelcast example: group %s of %d members%n", g.name(), n);
        AwaitResult done = g.await(true, Duration.ofMinutes(4));
        if (!done.failures().isEmpty()) {
            out.println("workers that failed: " + done.failures());
            done.failures().forEach(w -> session.output(w).forEach(l -> out.println("  [" + w.id() + "] " + l.text())));
        }
        return g.workers().stream().flatMap(w -> session.output(w).stream()).map(OutputLine::text)
                .filter(l -> l.startsWith("member ")).toList();
    }
}
