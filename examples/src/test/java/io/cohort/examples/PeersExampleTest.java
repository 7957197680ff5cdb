package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Kernel;
import io.cohort.OutputLine;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers that find each other through the list of workers, on real workers: one serves, the others call it. */
class PeersExampleTest {
    @TempDir
    Path home;

    @Test
    void clientsFindTheServerInTheWorkerListAndExchangeALineWithItOnItsOwnAddress() throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        try (Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(16).build())) {
            PeersExample.Summary s = PeersExample.run(session, 2, 1, new PrintStream(summary, true, StandardCharsets.UTF_8));

            Worker server = s.server();
            String ip = server.ipAddress();
            String at = ip + ":8080";
            assertThat(server.status()).isEqualTo(Status.SUCCEEDED);
            // The server bound its own worker address, not the session's (master) address.
            assertThat(ip).startsWith("127.").isNotEqualTo(session.masterAddress()).isNotEqualTo("127.0.0.1");
            assertThat(server.appUrl()).isEqualTo("http://" + at + "/");
            List<String> served = text(session, server);
            assertThat(served).first().isEqualTo("server " + server.id() + " listening on " + at + " for 3 clients");
            assertThat(served).last().isEqualTo("server " + server.id() + " served 3 clients");
            assertThat(s.served()).isEqualTo(3);

            assertThat(s.clients()).hasSize(3).extracting(Worker::kernel).containsExactly(Kernel.JAVA, Kernel.JAVA, Kernel.PYTHON3);
            for (Worker c : s.clients()) {
                String kind = c.kernel() == Kernel.PYTHON3 ? "python" : "java";
                assertThat(c.status()).as("client %s", c.id()).isEqualTo(Status.SUCCEEDED);
                List<String> lines = text(session, c);
                // The address came from the worker list, and the reply from the server, naming it.
                assertThat(lines).as("client %s", c.id()).hasSize(2);
                assertThat(lines.get(0)).isEqualTo("found server " + server.id() + " at " + at + " in the worker list");
                assertThat(lines.get(1)).matches("server replied: hello " + c.id() + ", this is " + server.id() + " at "
                        + at.replace(".", "\\.") + " \\(client [123] of 3\\)");
                assertThat(s.replies()).containsEntry(c.id(), lines.get(1).substring("server replied: ".length()));
                // The server saw the client's line, sent from the client's own address.
                assertThat(served).contains("server got \"hello from " + c.id() + " (" + kind + ") at " + c.ipAddress()
                        + "\" from " + c.ipAddress());
            }
            assertThat(s.clients().stream().map(c -> s.replies().get(c.id()).replaceFirst(".*\\(client (\\d) of 3\\)", "$1")))
                    .containsExactlyInAnyOrder("1", "2", "3");
            assertThat(s.ok()).isTrue();
            assertThat(summary.toString(StandardCharsets.UTF_8))
                    .contains("peers example: server " + server.id() + " at http://" + at + "/ served 3 of 3 clients; 3 got its reply");
        }
    }

    private static List<String> text(Session session, Worker w) {
        return session.output(w).stream().map(OutputLine::text).toList();
    }
}
