package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Worker;
import io.cohort.kubernetes.fixtures.StandInCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 10: launch to all running of 8 and 64 workers through the Kubernetes backend, on fabric8's
 * mock API server whose pods the kubelet stand-in (cohort-kubernetes' test fixture) runs as local
 * processes, against the same number of pods created directly with the fabric8 client (the same
 * resources, a container that only sleeps), alternating round by round. It also counts the API
 * requests the session made per worker, by kind, from the mock server's request log (the session's
 * requests carry the kubeconfig's token; the stand-in's and the bare client's do not).
 *
 * <p>"All running" for cohort is every worker's agent reporting its program started; for bare pods,
 * every container's process started (the stand-in starts them as soon as it sees the pod).
 *
 * <p>Arguments: [rounds for 8] [rounds for 64].
 */
public final class KubernetesBench {
    private final StandInCluster cluster;
    private int bareRound;

    private KubernetesBench(StandInCluster cluster) {
        this.cluster = cluster;
    }

    public static void main(String[] args) throws Exception {
        int rounds8 = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds64 = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path scratch = Files.createTempDirectory("cohort-k8s-bench");
        try (StandInCluster cluster = new StandInCluster(scratch.resolve("cluster"))) {
            KubernetesBench b = new KubernetesBench(cluster);
            b.run(8, rounds8, scratch);
            b.run(64, rounds64, scratch);
        }
        System.exit(0);
    }

    private void run(int n, int rounds, Path scratch) throws Exception {
        SessionOptions.Builder o = SessionOptions.builder().home(scratch.resolve("home-" + n)).backend("kubernetes").console(null)
                .stopGrace(Duration.ofSeconds(1));
        cluster.settings().forEach(o::setting);
        List<Double> cohort = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        Map<String, Integer> calls = new TreeMap<>();
        int cohortWorkers = 0;
        try (Session session = Session.open(o.build())) {
            // One warm-up of each, not counted: the first JVMs, the first pods, the client's first connections.
            cohortRound(session, n, null);
            bareRound(n);
            for (int r = 0; r < rounds; r++) {
                cohort.add(cohortRound(session, n, calls));
                cohortWorkers += n;
                bare.add(bareRound(n));
            }
        }
        System.out.printf(Locale.ROOT, "%n10. Kubernetes on the stand-in: launch to all running, %d workers, %d rounds (median [min-max])%n",
                n, rounds);
        System.out.printf(Locale.ROOT, "   cohort (every agent reported its program started)   %s%n", Stats.ms(cohort));
        System.out.printf(Locale.ROOT, "   bare pods made with the client, all containers started %s%n", Stats.ms(bare));
        System.out.printf(Locale.ROOT, "   cohort / bare                                        %s%n", Stats.x(Stats.ratios(cohort, bare)));
        System.out.printf(Locale.ROOT, "   overhead per worker over bare pods                   %s ms%n",
                Stats.f((Stats.median(cohort) - Stats.median(bare)) / n));
        int total = calls.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf(Locale.ROOT, "   session's API requests per worker, launch to all running: %.2f%n", (double) total / cohortWorkers);
        for (var e : calls.entrySet()) {
            System.out.printf(Locale.ROOT, "     %-52s %.2f%n", e.getKey(), (double) e.getValue() / cohortWorkers);
        }
        System.out.printf(Locale.ROOT, "   bare: 1.00 per worker (one create), plus what it polls%n");
    }

    /** Launches n sleeping workers, returns ms to all running, then stops them (not timed). */
    private double cohortRound(Session session, int n, Map<String, Integer> calls) throws InterruptedException {
        drain(null);
        long t0 = System.nanoTime();
        List<Worker> ws = session.launch(LaunchRequest.builder().n(n).cpu(0.01).memoryGb(0.1).program(Program.shell("exec sleep 600")).build());
        session.await(ws, false, Duration.ofMinutes(5));
        double ms = (System.nanoTime() - t0) / 1e6;
        drain(calls);
        session.stop(ws);
        session.await(ws, true, Duration.ofMinutes(2));
        return ms;
    }

    /** Creates n pods directly, returns ms until all their containers started, then deletes them (not timed). */
    private double bareRound(int n) throws InterruptedException {
        int round = bareRound++;
        int before = cluster.kubelet.started.get();
        long t0 = System.nanoTime();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "bare-" + round + "-" + i;
            names.add(name);
            Pod p = new PodBuilder().withNewMetadata().withName(name).addToLabels("bench", "bare-" + round).endMetadata()
                    .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("c").withImage("busybox")
                    .withCommand("sh", "-c", "exec sleep 600")
                    .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("10m"))
                    .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("100Mi"))
                    .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("100Mi")).endResources()
                    .endContainer().endSpec().build();
            cluster.client.pods().inNamespace(StandInCluster.NAMESPACE).resource(p).create();
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (cluster.kubelet.started.get() - before < n && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        cluster.client.pods().inNamespace(StandInCluster.NAMESPACE).withLabel("bench", "bare-" + round).delete();
        return ms;
    }

    /** Empties the mock server's request log, counting the session's requests (its kubeconfig's token) by kind. */
    private void drain(Map<String, Integer> calls) throws InterruptedException {
        RecordedRequest r;
        while ((r = cluster.server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
            if (calls == null || !"Bearer stand-in-token".equals(r.getHeader("Authorization"))) {
                continue;
            }
            String path = r.getPath();
            String kind = r.getMethod() + " " + (path.contains("/configmaps") ? "configmap" : path.contains("/nodes") ? "nodes" : "pods")
                    + (path.contains("dryRun=All") ? " (dry run)" : path.contains("watch=true") ? " (watch)"
                    : r.getMethod().equals("GET") ? " (list)" : "");
            calls.merge(kind, 1, Integer::sum);
        }
    }
}
