package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Kernel;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference's master/worker socket exchange, with Java, Python and R workers. */
class SocketsExampleTest {
    @TempDir
    Path home;

    @Test
    void everyWorkerConnectsToTheMasterIpSendsALineAndReadsTheReply() throws IOException {
        try (Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(16).build())) {
            List<String> received = SocketsExample.run(session, List.of(Kernel.JAVA, Kernel.PYTHON3, Kernel.R), 2);

            assertThat(received).hasSize(6);
            for (Worker w : session.list()) {
                String kind = w.kernel() == Kernel.PYTHON3 ? "python" : w.kernel().label();
                assertThat(received).contains("hello from " + w.id() + " (" + kind + ") at " + w.ipAddress());
                assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
                assertThat(session.output(w)).extracting(l -> l.text()).containsExactly("master replied: welcome, " + w.id());
            }
            assertThat(session.list()).extracting(Worker::kernel)
                    .containsExactly(Kernel.JAVA, Kernel.JAVA, Kernel.PYTHON3, Kernel.PYTHON3, Kernel.R, Kernel.R);
        }
    }
}
