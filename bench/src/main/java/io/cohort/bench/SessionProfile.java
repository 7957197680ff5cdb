package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the session JVM's own CPU goes during fan-out launches: JFR execution samples (every 1 ms
 * per running Java thread) over a few launch(n=32) -> await cycles, grouped by what the stack is
 * doing. Only Java code is sampled; time in the kernel for fork/exec is not.
 */
final class SessionProfile {
    private SessionProfile() {
    }

    private static final String[][] CATEGORIES = {
            {"javac (compiling the launch's code)", "com.sun.tools.javac.", "io.cohort.core.kernel.JavaCompilation"},
            {"/proc scans (LocalWorker.members)", "io.cohort.worker.internal.ProcTable"},
            {"cgroup files", "io.cohort.local.Cgroup"},
            {"String.format (console 'succeeded in', worker notes)", "java.util.Formatter"},
            {"process spawn (ProcessBuilder.start)", "java.lang.ProcessBuilder.start", "java.lang.ProcessImpl"},
            {"thread starts", "java.lang.Thread.start"},
            {"output pumping, log, console", "io.cohort.worker.internal.LineSplitter", "io.cohort.core.output."},
            {"other cohort code", "io.cohort.core.", "io.cohort.local.", "io.cohort."},
    };

    /** Category -> share of samples, plus the sample count under "samples". */
    static Map<String, Double> profile(Session session, Program program, int n, int launches, Path file) throws Exception {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String[] c : CATEGORIES) {
            counts.put(c[0], 0);
        }
        counts.put("other (JDK, harness)", 0);
        try (Recording r = new Recording()) {
            r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            r.start();
            for (int i = 0; i < launches; i++) {
                List<Worker> ws = session.launch(LaunchRequest.of(n, 1, 0.25, program));
                session.await(ws, true, Duration.ofSeconds(120));
                Ctx.pause(100);
            }
            r.stop();
            r.dump(file);
        }
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            total++;
            counts.merge(categorize(e.getStackTrace().getFrames()), 1, Integer::sum);
        }
        Map<String, Double> shares = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> c : counts.entrySet()) {
            shares.put(c.getKey(), total == 0 ? 0 : 100.0 * c.getValue() / total);
        }
        shares.put("samples", (double) total);
        return shares;
    }

    private static String categorize(List<RecordedFrame> frames) {
        for (String[] c : CATEGORIES) {
            for (RecordedFrame f : frames) {
                String name = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                for (int i = 1; i < c.length; i++) {
                    if (name.startsWith(c[i])) {
                        return c[0];
                    }
                }
            }
        }
        return "other (JDK, harness)";
    }
}
