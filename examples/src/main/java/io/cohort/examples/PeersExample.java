package io.cohort.examples;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.Workers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Workers that find each other, with no help from the session's sockets: one server worker listens
 * on its own address and app port (CDSW_IP_ADDRESS, CDSW_APP_PORT); client workers (Java and Python)
 * look its address up in the session's list of workers ({@code Cohort.workers()}, {@code
 * cohort.workers()}: GET /v1/workers), wait until it runs, connect, send a line and print the reply.
 * The server exits after serving every client. The session only passes the clients the server's id.
 *
 * <p>Arguments: [javaClients=2] [pythonClients=2]
 */
public final class PeersExample {
    private PeersExample() {
    }

    /**
     * How it went.
     *
     * @param server  the server worker, as it ended
     * @param clients the client workers, as they ended
     * @param served  how many clients the server says it served (-1 if it never said)
     * @param replies each client's id and the reply it printed (absent when it printed none)
     * @param wall    from the server's launch to the last exit
     */
    public record Summary(Worker server, List<Worker> clients, int served, Map<String, String> replies, Duration wall) {
        public boolean ok() {
            return server.status() == Status.SUCCEEDED && served == clients.size() && replies.size() == clients.size()
                    && clients.stream().allMatch(c -> c.status() == Status.SUCCEEDED);
        }
    }

    public static void main(String[] args) throws IOException {
        int javaClients = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int pythonClients = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Summary s = run(Workers.session(), javaClients, pythonClients, System.out);
        if (!s.ok()) {
            System.exit(1);
        }
    }

    public static Summary run(Session session, int javaClients, int pythonClients, PrintStream out) throws IOException {
        Path dir = Files.createDirectories(session.directory().resolve("peers"));
        int clients = javaClients + pythonClients;
        long start = System.nanoTime();
        Worker server = session.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.5)
                .program(Program.script(extract(dir, "PeerServer.java").toString()))
                .env("PEERS_CLIENTS", Integer.toString(clients)).build()).get(0);
        out.printf("peers example: server %s, %d Java and %d Python clients that find it in the worker list%n",
                server.id(), javaClients, pythonClients);
        // The clients start at once; each waits in its own loop until the list shows the server running.
        List<Worker> launched = new ArrayList<>();
        if (javaClients > 0) {
            launched.addAll(session.launch(LaunchRequest.builder().n(javaClients).cpu(0.25).memoryGb(0.5)
                    .program(Program.script(extract(dir, "PeerClient.java").toString())).env("PEERS_SERVER", server.id()).build()));
        }
        if (pythonClients > 0) {
            launched.addAll(session.launch(LaunchRequest.builder().n(pythonClients).cpu(0.25).memoryGb(0.25)
                    .program(Program.script(Kernel.PYTHON3, extract(dir, "peer_client.py").toString()))
                    .env("PEERS_SERVER", server.id()).build()));
        }
        List<Worker> all = new ArrayList<>(launched);
        all.add(0, server);
        AwaitResult done = session.await(all, true, Duration.ofSeconds(180));
        Duration wall = Duration.ofNanos(System.nanoTime() - start);

        Worker serverEnd = session.get(server);
        int served = lines(session, serverEnd).stream().filter(l -> l.matches("server \\S+ served \\d+ clients"))
                .map(l -> Integer.parseInt(l.split(" ")[3])).findFirst().orElse(-1);
        Map<String, String> replies = new LinkedHashMap<>();
        List<Worker> clientEnds = new ArrayList<>();
        for (Worker w : launched) {
            Worker end = session.get(w);
            clientEnds.add(end);
            lines(session, end).stream().filter(l -> l.startsWith("server replied: ")).findFirst()
                    .ifPresent(l -> replies.put(end.id(), l.substring("server replied: ".length())));
        }

        out.println();
        out.printf(Locale.ROOT, "peers example: server %s at %s served %s of %d clients; %d got its reply; wall time %.2f s%n",
                serverEnd.id(), serverEnd.appUrl(), served < 0 ? "none" : Integer.toString(served), clients, replies.size(),
                wall.toNanos() / 1e9);
        out.printf(Locale.ROOT, "  %-6s %-8s %-10s %-16s %s%n", "ID", "ROLE", "STATUS", "ADDRESS", "REPLY");
        out.printf(Locale.ROOT, "  %-6s %-8s %-10s %-16s %s%n", serverEnd.id(), "server", serverEnd.status().label(),
                serverEnd.ipAddress(), "-");
        for (Worker c : clientEnds) {
            out.printf(Locale.ROOT, "  %-6s %-8s %-10s %-16s %s%n", c.id(), "client", c.status().label(), c.ipAddress(),
                    replies.getOrDefault(c.id(), "(none)"));
        }
        if (!done.failures().isEmpty()) {
            out.println("workers that did not succeed: " + done.failures());
        }
        return new Summary(serverEnd, clientEnds, served, replies, wall);
    }

    private static List<String> lines(Session session, Worker w) {
        return session.output(w).stream().filter(l -> l.stream() == OutputLine.Stream.STDOUT).map(OutputLine::text).toList();
    }

    private static Path extract(Path dir, String name) throws IOException {
        return WorkerSources.extract(dir, "peers/" + name);
    }
}
