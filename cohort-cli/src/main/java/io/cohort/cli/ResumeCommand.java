package io.cohort.cli;

import io.cohort.LaunchRequest;
import io.cohort.QueueProgress;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.WorkQueue;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code cohort resume DIR}: reopens a session that ended (a crash included), puts back what was in
 * flight, starts again the workers that were running, and waits until every queue is drained.
 */
final class ResumeCommand {
    private ResumeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            throw new Main.UsageException("give the session directory to resume, e.g. cohort resume ~/.cohort/sessions/k3f9ab2q");
        }
        Path dir = Path.of(args.get(0)).toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new Main.UsageException(dir + " is not a directory");
        }
        try (Session session = Session.resume(dir, SessionOptions.builder().console(out).build())) {
            for (WorkQueue q : session.queues()) {
                out.println("resumed " + q.progress().line());
            }
            for (LaunchRequest r : session.interruptedLaunches()) {
                out.println("cohort: starting again " + r.n() + " worker(s) running " + r.program().describe());
                session.launch(r);
            }
            boolean drained = true;
            for (WorkQueue q : session.queues()) {
                QueueProgress p = q.awaitDrained(Duration.ZERO);
                drained &= p.drained();
            }
            session.await(List.of(), true, Duration.ZERO);
            err.println(RunCommand.summary(session.list()));
            return drained ? 0 : 1;
        }
    }
}
