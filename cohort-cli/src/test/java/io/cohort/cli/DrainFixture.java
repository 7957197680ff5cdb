package io.cohort.cli;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.WorkQueue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A session the resume test kills: fills a queue, starts two Java workers that log every item they
 * process, prints {@code READY <session dir>}, and waits for the queue to drain.
 * Arguments: home, number of items, processing log.
 */
public final class DrainFixture {
    static final String WORKER = """
            var log = java.nio.file.Path.of(System.getenv("PROCESSED_LOG"));
            for (var item : io.cohort.worker.Cohort.queue("resume")) {
                long n = (Long) item.value();
                java.util.concurrent.locks.LockSupport.parkNanos(3_000_000); // stands for the work on an item
                io.cohort.worker.Cohort.results().put("item-" + n, n);
                Files.writeString(log, io.cohort.worker.Cohort.workerId() + " " + n + "\\n",
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }""";

    private DrainFixture() {
    }

    public static void main(String[] args) {
        Session session = Session.open(SessionOptions.builder().home(Path.of(args[0])).console(null).cpuOvercommit(8).build());
        WorkQueue q = session.queue("resume");
        List<Long> items = new ArrayList<>();
        for (long i = 0; i < Long.parseLong(args[1]); i++) {
            items.add(i);
        }
        q.putAll(items);
        q.close();
        session.launch(LaunchRequest.builder().n(2).cpu(0.5).memoryGb(0.3).code(WORKER).env("PROCESSED_LOG", args[2]).build());
        System.out.println("READY " + session.directory());
        System.out.flush();
        q.awaitDrained(Duration.ZERO);
    }
}
