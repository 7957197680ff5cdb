package io.cohort.bench;

import io.cohort.examples.hpo.HpoTask;
import java.util.Locale;

/**
 * Benchmark 5's baseline: the same grid, trained one setting after the other in this JVM, with the
 * same code the workers run ({@link HpoTask#trainAndEvaluate}), and no workers, queue or session.
 * Prints "item NAME SECONDS" per setting and "total SECONDS" (from main; the JVM's start is the
 * caller's to time).
 *
 * <p>Arguments: samples depth:minChildWeight...
 */
public final class HpoSequential {
    private HpoSequential() {
    }

    public static void main(String[] args) {
        long start = System.nanoTime();
        int samples = Integer.parseInt(args[0]);
        int models = 0;
        for (int i = 1; i < args.length; i++) {
            String[] p = args[i].split(":");
            HpoTask.Outcome o = HpoTask.trainAndEvaluate(new HpoTask.Params(Integer.parseInt(p[0]), Double.parseDouble(p[1]), samples));
            models += o.model().length > 0 ? 1 : 0;
            System.out.printf(Locale.ROOT, "item %s %.4f %.4f%n", o.params().name(), o.seconds(), o.accuracy());
        }
        System.out.printf(Locale.ROOT, "total %.4f %d%n", (System.nanoTime() - start) / 1e9, models);
    }
}
