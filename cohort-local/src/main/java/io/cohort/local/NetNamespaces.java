package io.cohort.local;

import io.cohort.CohortException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace per worker (local.network=namespace, root only): the session makes a bridge
 * {@code cb<tag>} holding 10.X.0.1/16 (X drawn where no address or route of the host overlaps),
 * and each worker a namespace {@code cohort-<tag>-<worker>} joined to it by a veth pair, with its own
 * loopback and the address 10.X.a.b. Two workers may then both bind 127.0.0.1 or 0.0.0.0 on the same
 * port, and each is reached at its listed address. Workers reach the session at the bridge's address
 * (their master IP) and each other; nothing beyond the host is routed for them.
 *
 * <p>A worker's namespace is deleted when it ends, the bridge when the session closes; when the
 * session dies, its guard deletes both (guard.sh, COHORT_GUARD_NET).
 */
final class NetNamespaces implements AutoCloseable {
    private final String tag;
    private final String bridge;
    private final int octet;
    private final AtomicInteger next = new AtomicInteger();

    private NetNamespaces(String tag, int octet) {
        this.tag = tag;
        this.bridge = "cb" + tag;
        this.octet = octet;
    }

    /** One worker's namespace: its address, the command prefix that runs a program in it, and its removal. */
    record Slot(String address, List<String> prefix, String name) {
    }

    static NetNamespaces open() {
        if (!"0".equals(uid())) {
            throw new IllegalArgumentException("local.network=namespace needs root (it makes a bridge and a network"
                    + " namespace per worker); run the session as root, or use local.network=loopback");
        }
        String tag = HexFormat.of().toHexDigits(new SecureRandom().nextInt()).substring(0, 6);
        String taken = run(List.of("ip", "-4", "-o", "addr", "show"), null) + run(List.of("ip", "-4", "route", "show"), null);
        SecureRandom random = new SecureRandom();
        for (int attempt = 0; attempt < 50; attempt++) {
            int x = 64 + random.nextInt(64);
            if (!taken.contains(" 10." + x + ".") && !taken.contains("\n10." + x + ".") && !taken.startsWith("10." + x + ".")) {
                NetNamespaces n = new NetNamespaces(tag, x);
                run(List.of("ip", "-batch", "-"), "link add " + n.bridge + " type bridge\n"
                        + "addr add 10." + x + ".0.1/16 dev " + n.bridge + "\nlink set " + n.bridge + " up\n");
                return n;
            }
        }
        throw new CohortException("local.network=namespace: no free 10.X.0.0/16 for the session's bridge (10.64-127 are"
                + " all in use on this host); use local.network=loopback");
    }

    /** The session's address as its workers reach it: the bridge's. */
    String bridgeAddress() {
        return "10." + octet + ".0.1";
    }

    /** The short name that marks this session's bridge and namespaces (for the guard). */
    String tag() {
        return tag;
    }

    Slot create(String workerId) {
        int k = next.getAndIncrement();
        String address = "10." + octet + "." + (k / 250 % 256) + "." + (k % 250 + 2);
        String name = "cohort-" + tag + "-" + workerId;
        String veth = "cv" + tag + k;
        run(List.of("ip", "-batch", "-"), "netns add " + name + "\n"
                + "link add " + veth + " type veth peer name eth0 netns " + name + "\n"
                + "link set " + veth + " master " + bridge + " up\n");
        try {
            run(List.of("ip", "-n", name, "-batch", "-"), "addr add " + address + "/16 dev eth0\nlink set eth0 up\n"
                    + "link set lo up\nroute add default via " + bridgeAddress() + "\n");
        } catch (RuntimeException e) {
            remove(name);
            throw e;
        }
        return new Slot(address, List.of("nsenter", "--net=/run/netns/" + name), name);
    }

    /** Deletes a worker's namespace (its veth pair goes with it). */
    void remove(String name) {
        try {
            run(List.of("ip", "netns", "del", name), null);
        } catch (RuntimeException e) {
            // Already gone; the guard sweeps what is left when the session ends.
        }
    }

    @Override
    public void close() {
        try {
            for (String line : run(List.of("ip", "netns", "list"), null).split("\n")) {
                String ns = line.split(" ")[0];
                if (ns.startsWith("cohort-" + tag + "-")) {
                    remove(ns);
                }
            }
            run(List.of("ip", "link", "del", bridge), null);
        } catch (RuntimeException e) {
            // The guard sweeps what is left.
        }
    }

    private static String run(List<String> command, String input) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (input != null) {
                p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new CohortException("local.network=namespace: " + String.join(" ", command) + " failed: " + out.strip()
                        + (input == null ? "" : " (for: " + input.strip().replace('\n', ';') + ")"));
            }
            return out;
        } catch (IOException e) {
            throw new CohortException("local.network=namespace needs the ip command (Debian's iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while setting up a network namespace", e);
        }
    }

    private static String uid() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1];
                }
            }
        } catch (IOException e) {
            // below
        }
        return "?";
    }
}
