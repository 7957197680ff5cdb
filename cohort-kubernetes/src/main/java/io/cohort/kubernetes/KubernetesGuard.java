package io.cohort.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A small process that outlives the session's JVM to delete its owner ConfigMap, so that Kubernetes'
 * garbage collector deletes every pod of the session: it reads a pipe the JVM holds, and when the pipe
 * closes without the session having said it closed in order -- its JVM died, even by SIGKILL -- it
 * deletes the owner (and the session's pods by label, for a cluster whose garbage collector lags).
 * Without it (kubernetes.guard=off, or the session's whole machine lost) each agent ends its pod once
 * the session has not answered for its give-up time, and activeDeadlineSeconds bounds the rest.
 */
public final class KubernetesGuard {
    private KubernetesGuard() {
    }

    static io.cohort.core.backend.PipeGuard start(KubernetesSettings s, String namespace, String owner, String sessionLabel, Path log) {
        List<String> command = List.of("setsid", java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), KubernetesGuard.class.getName(),
                s.kubeconfig() == null ? "-" : s.kubeconfig().toString(), s.context() == null ? "-" : s.context(),
                namespace, owner, sessionLabel);
        // setsid: a Ctrl-C in the session's terminal must not end the guard before the session's own cleanup.
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true);
        return io.cohort.core.backend.PipeGuard.start(pb, "the Kubernetes guard (setsid java)",
                "set kubernetes.guard=off to rely on the agents' give-up time and activeDeadlineSeconds alone");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code KubernetesGuard KUBECONFIG|- CONTEXT|- NAMESPACE OWNER SESSION_LABEL}; reads stdin until it closes. */
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String said = in.readLine();
        if ("closed".equals(said)) {
            return;
        }
        String context = args[1].equals("-") ? null : args[1];
        Config config = args[0].equals("-") ? Config.autoConfigure(context) : Config.fromKubeconfig(context, new File(args[0]));
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            client.configMaps().inNamespace(args[2]).withName(args[3]).delete();
            client.pods().inNamespace(args[2]).withLabel(PodNames.SESSION, args[4]).delete();
            System.out.println("cohort guard: the session died; deleted ConfigMap " + args[3] + " and its pods in " + args[2]);
        } catch (RuntimeException e) {
            System.out.println("cohort guard: the session died; could not delete ConfigMap " + args[3] + " in " + args[2]
                    + ": " + e.getMessage() + "; delete it by hand: kubectl delete configmap -n " + args[2] + " " + args[3]);
        }
        System.exit(0);
    }
}
