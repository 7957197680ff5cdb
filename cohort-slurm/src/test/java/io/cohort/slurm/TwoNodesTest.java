package io.cohort.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers on two hosts: two slurmd nodes, each in a network namespace of its own with its own
 * address, and the session on the bridge between them. What crosses a network here is real: the
 * agents reach the control plane at the master address, workers reach the session's own socket, and
 * a worker on one node reaches a worker on the other at the address the session lists for it.
 */
class TwoNodesTest {
    static final Set<String> NODE_ADDRESSES = Set.of("10.201.0.11", "10.201.0.12");

    @TempDir
    Path home;
    Session session;

    Session open() {
        session = Session.open(TestSlurm.networkOptions(home).console(null).build());
        return session;
    }

    @AfterEach
    void close() {
        if (session != null) {
            String id = session.id();
            session.close();
            assertThat(TestSlurm.liveJobs(TestSlurm.networkConf(), id)).isEmpty();
        }
    }

    @Test
    void workersRunOnBothNodesWithTheirNodesAddressesAndReachTheMastersSocket() throws Exception {
        Session s = open();
        assertThat(s.masterAddress()).isEqualTo(TestSlurm.NETWORK_MASTER);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName(s.masterAddress()))) {
            server.setSoTimeout(120_000);
            List<Worker> ws = s.launch(LaunchRequest.builder().n(4).cpu(1).memoryGb(0.25)
                    .env("MASTER_PORT", Integer.toString(server.getLocalPort()))
                    .program(Program.code(Kernel.PYTHON3, String.join("\n",
                            "import os, socket",
                            "me = os.environ['CDSW_ENGINE_ID']",
                            "c = socket.create_connection((os.environ['CML_MASTER_IP'], int(os.environ['MASTER_PORT'])), 30)",
                            "c.sendall(('%s %s %s\\n' % (me, os.environ['CDSW_IP_ADDRESS'], os.environ['SLURMD_NODENAME'])).encode())",
                            "print('master said', c.makefile().readline().strip(), flush=True)")))
                    .build());
            List<String> heard = new ArrayList<>();
            for (int i = 0; i < ws.size(); i++) {
                try (Socket c = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter out = new PrintWriter(c.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    String line = in.readLine();
                    heard.add(line + " from " + c.getInetAddress().getHostAddress());
                    out.println("hello " + line.split(" ")[0]);
                }
            }
            AwaitResult r = s.await(ws, true, Duration.ofMinutes(2));
            assertThat(r.failures()).isEmpty();
            for (Worker w : r.workers()) {
                assertThat(w.ipAddress()).isIn(NODE_ADDRESSES);
                String node = w.ipAddress().endsWith(".11") ? "n1" : "n2";
                // What the worker says of itself, and where the session saw its connection come from, agree.
                assertThat(heard).contains(w.id() + " " + w.ipAddress() + " " + node + " from " + w.ipAddress());
                assertThat(s.output(w)).extracting(OutputLine::text).containsExactly("master said hello " + w.id());
            }
            // Two CPUs per node, one per worker: both nodes ran two.
            assertThat(r.workers().stream().collect(Collectors.groupingBy(Worker::ipAddress, Collectors.counting())))
                    .containsOnly(Map.entry("10.201.0.11", 2L), Map.entry("10.201.0.12", 2L));
        }
    }

    @Test
    void aWorkerOnOneNodeServesAndAWorkerOnTheOtherCallsItAtItsListedAddress() {
        Session s = open();
        Worker server = s.launch(LaunchRequest.builder().n(1).cpu(2).memoryGb(0.25).program(Program.code(Kernel.PYTHON3,
                String.join("\n",
                        "import os, socket",
                        "srv = socket.socket()",
                        "srv.bind((os.environ['CDSW_IP_ADDRESS'], int(os.environ['CDSW_APP_PORT'])))",
                        "srv.listen()",
                        "print('serving', flush=True)",
                        "c, peer = srv.accept()",
                        "c.sendall(('served by %s to %s\\n' % (os.environ['CDSW_ENGINE_ID'], peer[0])).encode())",
                        "c.close()")))
                .build()).get(0);
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1))
                .until(() -> s.output(server).stream().anyMatch(l -> l.text().equals("serving")));
        String serverAddress = s.get(server).ipAddress();
        assertThat(serverAddress).isIn(NODE_ADDRESSES);
        // The server holds both CPUs of its node, so the client runs on the other one.
        Worker client = s.launch(LaunchRequest.builder().n(1).cpu(1).memoryGb(0.25)
                .env("SERVER", serverAddress).program(Program.code(Kernel.PYTHON3, String.join("\n",
                        "import os, socket",
                        "c = socket.create_connection((os.environ['SERVER'], int(os.environ['CDSW_APP_PORT'])), 30)",
                        "print(c.makefile().readline().strip(), flush=True)")))
                .build()).get(0);
        s.await(List.of(server, client), true, Duration.ofMinutes(2));
        Worker c = s.get(client);
        assertThat(c.status()).as(s.output(client).toString()).isEqualTo(Status.SUCCEEDED);
        assertThat(c.ipAddress()).isIn(NODE_ADDRESSES).isNotEqualTo(serverAddress);
        assertThat(s.output(client)).extracting(OutputLine::text)
                .containsExactly("served by " + server.id() + " to " + c.ipAddress());
    }

    @Test
    void aQueueIsDrainedByWorkersOnBothNodes() {
        Session s = open();
        WorkQueue q = s.queue("spread");
        q.putAll(IntStream.range(0, 200).boxed().toList());
        q.close();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(4).cpu(1).memoryGb(0.25).program(Program.code(Kernel.PYTHON3,
                String.join("\n",
                        "import os, cohort_client as c",
                        "for item in c.queue('spread'):",
                        "    c.results.put('x/%d' % item.value, {'node': os.environ['SLURMD_NODENAME']})")))
                .build());
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(2));
        assertThat(r.failures()).isEmpty();
        assertThat(q.progress().done()).isEqualTo(200);
        Set<String> nodes = new TreeSet<>();
        s.results().withPrefix("x/").forEach(res -> nodes.add((String) ((Map<?, ?>) res.value()).get("node")));
        assertThat(s.results().withPrefix("x/")).hasSize(200);
        assertThat(nodes).isSubsetOf("n1", "n2").isNotEmpty();
        // Four one-CPU workers fill both two-CPU nodes.
        assertThat(r.workers().stream().map(Worker::ipAddress).collect(Collectors.toSet())).isEqualTo(NODE_ADDRESSES);
    }

    @Test
    void acrossHostsEachJobReachesTheSessionOverPinnedTlsWithACredentialThatCannotStopItsPeer() {
        Session s = open();
        Worker peer = s.launch(LaunchRequest.builder().n(1).cpu(1).memoryGb(0.25).program(Program.shell("sleep 120"))
                .build()).get(0);
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(1).memoryGb(0.25).program(Program.code(Kernel.PYTHON3,
                String.join("\n",
                        "import os, cohort_client, cohort_workers",
                        "print('api', os.environ['COHORT_API'])",
                        "print('own credential', os.environ['COHORT_TOKEN'].startswith('cw1.%s.' % os.environ['CDSW_ENGINE_ID']))",
                        "cohort_client.results.put('from-node', os.environ['SLURMD_NODENAME'])",
                        "try:",
                        "    cohort_workers.stop_workers('" + peer.id() + "')",
                        "except Exception as e:",
                        "    print('refused', '403' in str(e) or 'session\\'s token' in str(e))")))
                .build()).get(0);
        AwaitResult r = s.await(List.of(w), true, Duration.ofMinutes(2));
        assertThat(r.failures()).as(s.output(w).toString()).isEmpty();
        assertThat(s.output(w)).extracting(OutputLine::text).containsExactly(
                "api https://" + TestSlurm.NETWORK_MASTER + ":" + java.net.URI.create(s.output(w).get(0).text().substring(4)).getPort(),
                "own credential True", "refused True");
        assertThat(s.results().get("from-node")).isPresent();
        assertThat(s.get(peer).status().isFinal()).isFalse();
        // The session's own plain port is not on the cluster's network any more.
        assertThat(s.controlPlaneUrl()).startsWith("http://127.0.0.1:");
    }
}
