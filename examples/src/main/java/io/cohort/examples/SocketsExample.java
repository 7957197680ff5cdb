package io.cohort.examples;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import io.cohort.Workers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference's network example: the session listens on a port; every worker (two each in Java,
 * Python and R) connects to the master IP from its environment, sends a line, and prints the reply.
 */
public final class SocketsExample {
    private SocketsExample() {
    }

    public static void main(String[] args) throws IOException {
        List<String> received = run(Workers.session(), List.of(Kernel.JAVA, Kernel.PYTHON3, Kernel.R), 2);
        boolean ok = received.size() == 6;
        System.out.println(ok ? "sockets example: all 6 workers talked to the session"
                : "sockets example: only " + received.size() + " of 6 workers talked to the session");
        Workers.showWorkers();
        if (!ok) {
            System.exit(1);
        }
    }

    /** Runs the exchange with {@code perKernel} workers of each kernel; returns the lines the session received. */
    public static List<String> run(Session session, List<Kernel> kernels, int perKernel) throws IOException {
        Path scripts = Files.createDirectories(session.directory().resolve("demo"));
        // The session listens on all interfaces, as in the reference; workers reach it at CML_MASTER_IP.
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            server.setSoTimeout(120_000);
            String port = Integer.toString(server.getLocalPort());
            System.out.println("session listening on port " + port + ", master IP " + session.masterAddress());
            List<Worker> workers = new ArrayList<>();
            for (Kernel kernel : kernels) {
                Path script = extract(scripts, switch (kernel) {
                    case JAVA -> "SocketWorker.java";
                    case PYTHON3 -> "socket_worker.py";
                    case R -> "socket_worker.R";
                    default -> throw new IllegalArgumentException("the sockets example has no " + kernel + " worker");
                });
                workers.addAll(session.launch(LaunchRequest.builder().n(perKernel).cpu(0.25).memoryGb(0.5)
                        .program(Program.script(kernel, script.toString())).env("COHORT_DEMO_PORT", port).build()));
            }
            List<String> received = new ArrayList<>();
            for (int i = 0; i < workers.size(); i++) {
                try (Socket s = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    String line = in.readLine();
                    System.out.println("session received: " + line);
                    received.add(line);
                    out.println("welcome, " + line.replaceFirst("^hello from (\\S+).*", "$1"));
                }
            }
            AwaitResult done = session.await(workers, true, Duration.ofSeconds(120));
            if (!done.failures().isEmpty()) {
                System.out.println("workers that failed: " + done.failures());
            }
            return received;
        }
    }

    private static Path extract(Path dir, String name) throws IOException {
        return WorkerSources.extract(dir, name);
    }
}
