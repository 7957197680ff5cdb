package io.cohort.examples.hpo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.tribuo.Dataset;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.dtree.CARTClassificationTrainer;
import org.tribuo.classification.dtree.impurity.GiniIndex;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.classification.example.NoisyInterlockingCrescentsDataSource;
import org.tribuo.evaluation.TrainTestSplitter;

/**
 * What one item of the search does, shared by the workers and the session: the data (Tribuo's
 * noisy interlocking crescents, generated from a fixed seed, so every worker sees the same), a
 * decision tree (CART) trained with one setting, and its accuracy on the held-out split.
 *
 * <p>The data is made once per JVM and size, not once per item: a worker that trains many settings
 * on the same data generates it for its first item only.
 */
public final class HpoTask {
    /** Samples in the demo's generated data set; 70% train, 30% held out. */
    public static final int SAMPLES = 4000;
    static final long SEED = 20261129L;
    private static final Map<Integer, List<Dataset<Label>>> SPLITS = new ConcurrentHashMap<>();

    private HpoTask() {
    }

    /**
     * One point of the grid, and the size of the data it is trained on (the demo's {@link #SAMPLES}
     * unless given: a larger data set makes each item take longer, as the benchmark needs).
     */
    public record Params(int maxDepth, double minChildWeight, int samples) {
        public Params(int maxDepth, double minChildWeight) {
            this(maxDepth, minChildWeight, SAMPLES);
        }

        public String name() {
            return "depth=" + maxDepth + "_minChild=" + minChildWeight;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("maxDepth", maxDepth);
            m.put("minChildWeight", minChildWeight);
            m.put("samples", samples);
            return m;
        }

        public static Params from(Map<String, Object> m) {
            Object samples = m.get("samples");
            return new Params(((Number) m.get("maxDepth")).intValue(), ((Number) m.get("minChildWeight")).doubleValue(),
                    samples == null ? SAMPLES : ((Number) samples).intValue());
        }
    }

    /** What training with one setting gave. */
    public record Outcome(Params params, double accuracy, double seconds, byte[] model) {
    }

    /** The grid: tree depths against minimum child weights. */
    public static List<Params> grid() {
        List<Params> grid = new ArrayList<>();
        for (int depth : new int[] {1, 2, 3, 4, 6, 8, 12, 16}) {
            for (double minChild : new double[] {1, 5, 20}) {
                grid.add(new Params(depth, minChild));
            }
        }
        return grid;
    }

    /** The train and held-out splits of a data set of that size, identical wherever they are made; made once per JVM. */
    static List<Dataset<Label>> splits(int samples) {
        return SPLITS.computeIfAbsent(samples, n -> {
            NoisyInterlockingCrescentsDataSource source = new NoisyInterlockingCrescentsDataSource(n, SEED, 0.3);
            TrainTestSplitter<Label> split = new TrainTestSplitter<>(source, 0.7, SEED);
            return List.of(new MutableDataset<>(split.getTrain()), new MutableDataset<>(split.getTest()));
        });
    }

    /** Trains a tree with the setting and scores it on the held-out split (the first call in a JVM also makes the data). */
    public static Outcome trainAndEvaluate(Params p) {
        long start = System.nanoTime();
        List<Dataset<Label>> data = splits(p.samples());
        CARTClassificationTrainer trainer = new CARTClassificationTrainer(p.maxDepth(), (float) p.minChildWeight(), 0.0f,
                1.0f, false, new GiniIndex(), SEED);
        Model<Label> model = trainer.train(data.get(0));
        double accuracy = accuracy(model, data.get(1));
        return new Outcome(p, accuracy, (System.nanoTime() - start) / 1e9, serialize(model));
    }

    /** Accuracy of a model on the held-out split of the demo's data. */
    public static double heldOutAccuracy(Model<Label> model) {
        return heldOutAccuracy(model, SAMPLES);
    }

    /** Accuracy of a model on the held-out split of the data set of that size. */
    public static double heldOutAccuracy(Model<Label> model, int samples) {
        return accuracy(model, splits(samples).get(1));
    }

    static double accuracy(Model<Label> model, Dataset<Label> test) {
        return new LabelEvaluator().evaluate(model, test).accuracy();
    }

    static byte[] serialize(Model<Label> model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(out)) {
            o.writeObject(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A model back from its snapshot bytes. */
    @SuppressWarnings("unchecked")
    public static Model<Label> deserialize(byte[] bytes) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (Model<Label>) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot read the model back from its snapshot: " + e, e);
        }
    }
}
