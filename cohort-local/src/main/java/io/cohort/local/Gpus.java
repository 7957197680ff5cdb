package io.cohort.local;

import io.cohort.CohortException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The machine's NVIDIA GPUs, found with {@code nvidia-smi}, handed out whole and to one worker at a
 * time (through CUDA_VISIBLE_DEVICES). When the session itself was given CUDA_VISIBLE_DEVICES, only
 * those GPUs are handed out.
 */
final class Gpus {
    /** One GPU as nvidia-smi lists it. */
    record Gpu(int index, String uuid, String name) {
    }

    private final List<Gpu> all;
    private final TreeSet<Integer> free = new TreeSet<>();

    Gpus(List<Gpu> all) {
        this.all = List.copyOf(all);
        all.forEach(g -> free.add(g.index()));
    }

    static Gpus discover(String nvidiaSmi, String visibleToSession) {
        List<Gpu> found = new ArrayList<>();
        try {
            Process p = new ProcessBuilder(nvidiaSmi, "--query-gpu=index,uuid,name", "--format=csv,noheader")
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
                for (String line : out.split("\n")) {
                    String[] f = line.split(",\\s*", 3);
                    if (f.length == 3 && f[0].trim().matches("\\d+")) {
                        found.add(new Gpu(Integer.parseInt(f[0].trim()), f[1].trim(), f[2].trim()));
                    }
                }
            }
        } catch (java.io.IOException e) {
            // No nvidia-smi: no GPUs.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (visibleToSession != null) {
            List<String> visible = List.of(visibleToSession.split(","));
            found.removeIf(g -> !visible.contains(Integer.toString(g.index())) && !visible.contains(g.uuid()));
        }
        return new Gpus(found);
    }

    int count() {
        return all.size();
    }

    List<Gpu> all() {
        return all;
    }

    synchronized List<Integer> take(int n, String workerId) {
        if (n > free.size()) {
            throw new CohortException(workerId + " needs " + n + " GPU(s) but only " + free.size() + " of " + all.size()
                    + " are free");
        }
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            taken.add(free.pollFirst());
        }
        return taken;
    }

    synchronized void give(List<Integer> gpus) {
        free.addAll(gpus);
    }
}
