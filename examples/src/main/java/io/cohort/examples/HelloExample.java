package io.cohort.examples;

import static io.cohort.Workers.awaitWorkers;
import static io.cohort.Workers.launchWorkers;
import static io.cohort.Workers.showWorkers;

import io.cohort.AwaitResult;
import io.cohort.Worker;
import java.time.Duration;
import java.util.List;

/** Hello world: n workers each print a greeting with their id and address, and exit. */
public final class HelloExample {
    private HelloExample() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        List<Worker> workers = launchWorkers(n, 0.25, 0.25,
                "System.out.println(\"Hello from worker \" + System.getenv(\"CDSW_ENGINE_ID\")"
                        + " + \" at \" + System.getenv(\"CDSW_IP_ADDRESS\"));");
        AwaitResult result = awaitWorkers(workers, true, Duration.ofSeconds(120));
        showWorkers();
        System.out.printf("hello example: %d of %d workers succeeded%n", result.workers().size(), n);
        if (!result.allReached()) {
            System.exit(1);
        }
    }
}
