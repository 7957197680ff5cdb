package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Run in a fresh JVM by benchmark 1: opens a session, launches one worker (java or shell) and
 * prints "result open=.. call=.. main=.. line=.." in ms (call, main and line from the launch() call).
 */
public final class ColdLaunch {
    private ColdLaunch() {
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        LineClock clock = new LineClock();
        long o0 = System.nanoTime();
        try (Session session = Session.open(SessionOptions.builder().home(Path.of(args[1])).workingDirectory(Path.of(args[2]))
                .console(clock).cpuOvercommit(16).stopGrace(Ctx.STOP_GRACE).build())) {
            long o1 = System.nanoTime();
            Program program = kind.equals("java") ? Program.code(Ctx.HELLO) : Program.shell("echo hello");
            long t0 = System.nanoTime();
            List<Worker> ws = session.launch(LaunchRequest.of(1, 1, 0.25, program));
            long t1 = System.nanoTime();
            LineClock.Line line = clock.await(ws.get(0).id(), 60, TimeUnit.SECONDS);
            session.await(ws, true, Duration.ofSeconds(60));
            Worker w = session.get(ws.get(0));
            if (line == null || w.status() != Status.SUCCEEDED) {
                System.out.println("failed: " + w);
                System.exit(1);
            }
            long main = Ctx.mainNanos(line.text());
            System.out.printf(Locale.ROOT, "result open=%.3f call=%.3f line=%.3f%s%n", Ctx.ms(o1 - o0), Ctx.ms(t1 - t0),
                    Ctx.ms(line.nanos() - t0), main > 0 ? String.format(Locale.ROOT, " main=%.3f", Ctx.ms(main - t0)) : "");
        }
    }
}
