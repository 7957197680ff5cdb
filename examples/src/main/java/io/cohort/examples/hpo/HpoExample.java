package io.cohort.examples.hpo;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.QueueProgress;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.WorkQueue;
import io.cohort.Workers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.tribuo.Model;
import org.tribuo.classification.Label;

/**
 * Hyperparameter search with model snapshots: the session puts a grid of settings on a queue,
 * workers train a decision tree per setting (Tribuo) and store its held-out accuracy and the model;
 * the session prints a leaderboard, draws accuracy against the hyperparameters (XChart, PNG), and
 * reloads the best model from its snapshot to show it scores the same.
 *
 * <p>Arguments: [workers=2] [samples=4000] (a larger generated data set makes every setting take
 * longer: with 60000, about 1.5 s each on one core, so the workers' parallelism shows).
 */
public final class HpoExample {
    private HpoExample() {
    }

    /** What the search found. */
    public record Summary(List<Result> leaderboard, Result best, double reloadedAccuracy, Path chart, QueueProgress queue) {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : HpoTask.SAMPLES;
        Summary s = run(Workers.session(), workers, samples);
        boolean ok = s.queue().drained() && s.queue().failed() == 0 && s.reloadedAccuracy() == accuracy(s.best());
        if (!ok) {
            System.exit(1);
        }
    }

    public static Summary run(Session session, int workers) throws IOException {
        return run(session, workers, HpoTask.SAMPLES);
    }

    public static Summary run(Session session, int workers, int samples) throws IOException {
        WorkQueue q = session.queue("hpo");
        List<Map<String, Object>> grid = new ArrayList<>();
        HpoTask.grid().forEach(p -> grid.add(new HpoTask.Params(p.maxDepth(), p.minChildWeight(), samples).toMap()));
        q.putAll(grid);
        q.close();
        long start = System.nanoTime();
        System.out.printf("hyperparameter search: %d settings of a decision tree on %d samples, %d workers%n", grid.size(),
                samples, workers);

        Path worker = extract(session.directory().resolve("hpo"), "HpoWorker.java");
        session.launch(LaunchRequest.builder().n(workers).cpu(1).memoryGb(1)
                .program(Program.script(worker.toString())).build());
        QueueProgress end = q.awaitDrained(Duration.ZERO);
        session.await(List.of(), true, Duration.ofSeconds(60));
        System.out.printf("searched in %.1f s%n", (System.nanoTime() - start) / 1e9);

        List<Result> board = new ArrayList<>(session.results().withPrefix("hpo/"));
        board.sort(Comparator.comparingDouble(HpoExample::accuracy).reversed()
                .thenComparing(r -> ((Number) field(r, "maxDepth")).intValue()));
        System.out.println();
        System.out.println("leaderboard (held-out accuracy):");
        System.out.printf("  %4s  %-10s %-15s %-9s %s%n", "rank", "maxDepth", "minChildWeight", "accuracy", "worker");
        for (int i = 0; i < board.size(); i++) {
            Result r = board.get(i);
            if (i < 10 || i == board.size() - 1) {
                System.out.printf("  %4d  %-10s %-15s %.4f    %s%n", i + 1, field(r, "maxDepth"), field(r, "minChildWeight"),
                        accuracy(r), r.workerId());
            } else if (i == 10) {
                System.out.println("  ...");
            }
        }

        Path chart = chart(board, session.directory().resolve("hpo").resolve("accuracy.png"));
        System.out.println("chart: " + chart);

        Result best = board.get(0);
        String name = best.key().substring("hpo/".length());
        Model<Label> model = HpoTask.deserialize(session.snapshots().read("model-" + name));
        double reloaded = HpoTask.heldOutAccuracy(model, samples);
        System.out.printf("best: %s, accuracy %.4f; reloaded from snapshot model-%s: accuracy %.4f%s%n", name,
                accuracy(best), name, reloaded, reloaded == accuracy(best) ? " (the same)" : " (DIFFERENT)");
        return new Summary(board, best, reloaded, chart, end);
    }

    /** A result's held-out accuracy. */
    public static double accuracy(Result r) {
        return ((Number) field(r, "accuracy")).doubleValue();
    }

    static Object field(Result r, String name) {
        return ((Map<?, ?>) r.value()).get(name);
    }

    /** Accuracy against tree depth, one line per minimum child weight. */
    static Path chart(List<Result> results, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<Double, TreeMap<Integer, Double>> series = new TreeMap<>();
        for (Result r : results) {
            series.computeIfAbsent(((Number) field(r, "minChildWeight")).doubleValue(), k -> new TreeMap<>())
                    .put(((Number) field(r, "maxDepth")).intValue(), accuracy(r));
        }
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Held-out accuracy of a decision tree")
                .xAxisTitle("max depth").yAxisTitle("accuracy").build();
        series.forEach((minChild, points) -> chart.addSeries("min child weight " + minChild,
                new ArrayList<>(points.keySet()), new ArrayList<>(points.values())));
        Files.createDirectories(file.getParent());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    private static Path extract(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name);
        try (InputStream in = HpoExample.class.getResourceAsStream(name)) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }
}
