import io.cohort.examples.hpo.HpoTask;
import io.cohort.worker.Cohort;
import io.cohort.worker.Item;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A worker of the hyperparameter search: takes settings from the "hpo" queue until it is drained,
 * trains and evaluates a model for each, and stores the metrics as a result and the model as a
 * snapshot, both under the setting's name (so a re-delivered setting replaces, never duplicates).
 */
public class HpoWorker {
    public static void main(String[] args) {
        for (Item item : Cohort.queue("hpo")) {
            HpoTask.Params p = HpoTask.Params.from(item.asMap());
            HpoTask.Outcome o = HpoTask.trainAndEvaluate(p);
            Cohort.snapshots().save("model-" + p.name(), o.model());
            Map<String, Object> metrics = new LinkedHashMap<>(p.toMap());
            metrics.put("accuracy", o.accuracy());
            metrics.put("seconds", o.seconds());
            Cohort.results().put("hpo/" + p.name(), metrics);
            System.out.printf("%s: accuracy %.4f in %.2f s%n", p.name(), o.accuracy(), o.seconds());
        }
    }
}
