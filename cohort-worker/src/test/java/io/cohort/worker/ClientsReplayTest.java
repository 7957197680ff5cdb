package io.cohort.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Python and R clients through the exchanges recorded from the real control plane, each with
 * its scenario script (clients/protocol/scenarios), against the same {@link ReplayServer} as the
 * Java library: a request that differs from the recording, or an answer the client misreads, fails.
 */
class ClientsReplayTest {
    static final Path CLIENTS = Path.of("..", "clients").toAbsolutePath().normalize();

    @Test
    void thePythonClientMakesTheRecordedRequestsAndReadsTheRecordedAnswers() throws Exception {
        replay("python", List.of("/usr/bin/python3", CLIENTS.resolve("protocol/scenarios/scenario.py").toString()),
                Map.of("PYTHONPATH", CLIENTS.resolve("python").toString(), "PYTHONDONTWRITEBYTECODE", "1"));
    }

    @Test
    void theRClientMakesTheRecordedRequestsAndReadsTheRecordedAnswers() throws Exception {
        replay("r", List.of("Rscript", "--vanilla", CLIENTS.resolve("protocol/scenarios/scenario.R").toString()),
                Map.of("COHORT_R_CLIENT", CLIENTS.resolve("r/R/cohort.R").toString()));
    }

    private static void replay(String language, List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        try (ReplayServer replay = ReplayServer.forClient(language)) {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("COHORT_") || k.startsWith("CDSW_"));
            pb.environment().putAll(env);
            pb.environment().put("COHORT_API", replay.url());
            pb.environment().put("COHORT_TOKEN", ReplayServer.TOKEN);
            pb.environment().put("CDSW_ENGINE_ID", "w1");
            pb.environment().put("LANG", "C.UTF-8");
            pb.environment().put("LC_ALL", "C.UTF-8");
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String output = new String(out, StandardCharsets.UTF_8);
            assertThat(replay.problems()).as("%s client; its output:%n%s", language, output).isEmpty();
            assertThat(p.exitValue()).as("%s scenario's exit code; its output:%n%s", language, output).isZero();
            assertThat(output).contains("scenario passed");
        }
    }
}
