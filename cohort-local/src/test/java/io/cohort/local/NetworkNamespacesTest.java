package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Readiness;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * local.network=namespace (root): every worker has its own network namespace on the session's bridge,
 * so two workers bind 127.0.0.1 and 0.0.0.0 on the same ports without colliding, each is reached at
 * its listed address, they reach the session, and nothing of the network is left when it closes.
 */
class NetworkNamespacesTest {
    @TempDir
    Path home;
    Fixtures.Console console = new Fixtures.Console();

    @Test
    void twoWorkersBindTheSamePortsInTheirOwnNamespacesAndNothingIsLeftAfter() throws Exception {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        if (!root) {
            // CI runs as root and must prove it; elsewhere this may skip.
            assertThat(System.getenv("CI")).as("local.network=namespace needs root").isNotEqualTo("true");
            assumeTrue(false, "local.network=namespace needs root");
        }
        String tag;
        try (Session s = Session.open(Fixtures.options(home, console).setting("local.network", "namespace").build())) {
            List<Worker> ws = s.launch(LaunchRequest.of(2, 0.2, 0.2, Program.code(Kernel.PYTHON3, """
                    import os, socket, threading
                    import cohort_client as cohort
                    inside = socket.create_server(("127.0.0.1", 8080))    # its own loopback
                    outside = socket.create_server(("0.0.0.0", 8081))     # every address it has
                    cohort.results.put("bound-" + os.environ["CDSW_ENGINE_ID"], {"ip": os.environ["CDSW_IP_ADDRESS"]})
                    print("listening", flush=True)
                    while True:
                        c, _ = outside.accept()
                        c.sendall(("hello from %s\\n" % os.environ["CDSW_ENGINE_ID"]).encode())
                        c.close()
                    """)).asService(Readiness.line("listening")));
            List<Worker> up = s.await(ws, false, Duration.ofSeconds(60)).workers();
            assertThat(up).as("%s %s", s.list(), console.text()).hasSize(2);
            assertThat(up.get(0).ipAddress()).isNotEqualTo(up.get(1).ipAddress()).startsWith("10.");
            assertThat(up.get(0).notes()).anyMatch(n -> n.startsWith("its own network namespace"));
            assertThat(s.masterAddress()).startsWith("10.").endsWith(".0.1");
            // Each reached at its listed address, on the port both bound.
            for (Worker w : up) {
                try (Socket c = new Socket(w.ipAddress(), 8081);
                     BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                    assertThat(in.readLine()).isEqualTo("hello from " + w.id());
                }
            }
            assertThat(s.results().list()).hasSize(2);
            tag = netnsList().stream().filter(n -> n.endsWith("-" + up.get(0).id())).findFirst()
                    .map(n -> n.substring("cohort-".length(), n.length() - up.get(0).id().length() - 1)).orElseThrow();
            assertThat(s.stop(ws)).extracting(Worker::status).containsOnly(Status.STOPPED);
        }
        assertThat(netnsList()).noneMatch(n -> n.startsWith("cohort-" + tag + "-"));
        Process links = new ProcessBuilder("ip", "-o", "link", "show").start();
        assertThat(new String(links.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).doesNotContain("cb" + tag);
    }

    private static List<String> netnsList() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list").start();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().map(l -> l.split(" ")[0]).toList();
    }
}
