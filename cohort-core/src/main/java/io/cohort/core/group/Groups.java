package io.cohort.core.group;

import io.cohort.CohortException;
import io.cohort.GroupRole;
import io.cohort.Rendezvous;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.PrivateFiles;
import io.cohort.core.WorkerEvent;
import io.cohort.worker.WorkerVariables;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The session's worker groups (docs/groups.md): every launch is one (a plain launch is the group
 * {@code launch-K}), and {@code Session.launchGroup} names one with several roles. This class gives
 * each member its identity (RANK, WORLD_SIZE, ...), watches the members' changes, and makes the
 * rendezvous once every member runs and every service member is ready: it writes the group's files
 * atomically and completes the group's future; a member that ends first fails it, naming the member.
 */
public final class Groups implements Consumer<WorkerEvent> {
    /** Names a user may give: the plain launches' {@code launch-K} are taken. */
    private static final String NAME = "[A-Za-z0-9._-]{1,64}";
    private final Map<String, Group> byName = new LinkedHashMap<>();
    private final Map<String, Group> byWorker = new HashMap<>();
    private final Path directory;
    private final String masterAddress;
    private final Function<String, Worker> workers;

    /**
     * @param sessionDirectory the session's folder ({@code groups/<name>} below it)
     * @param masterAddress    the session's address as workers see it
     * @param workers          a worker's current description by id
     */
    public Groups(Path sessionDirectory, String masterAddress, Function<String, Worker> workers) {
        this.directory = sessionDirectory.resolve("groups");
        this.masterAddress = masterAddress;
        this.workers = workers;
    }

    /** Refuses a name a user may not give a new group, with words. */
    public synchronized void checkNewName(String name) {
        if (name == null || !name.matches(NAME) || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("a group name is 1-64 letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        if (name.matches("launch-[0-9]+")) {
            throw new IllegalArgumentException("group names launch-K are the plain launches'; choose another, such as 'dask'");
        }
        if (byName.containsKey(name)) {
            throw new CohortException("this session already has a group named '" + name + "'; choose another name, or use"
                    + " session.group(\"" + name + "\")");
        }
    }

    /** Records a new group whose members (by rank) are about to start. */
    public synchronized Group add(String name, List<GroupRole> roles, List<String> members, List<String> memberRole,
                                  List<Integer> roleIndex) {
        Group g = new Group(name, roles, members, memberRole, roleIndex, freePort(members.size()),
                directory.resolve(name), new CompletableFuture<>());
        byName.put(name, g);
        members.forEach(m -> byWorker.put(m, g));
        return g;
    }

    public synchronized Group get(String name) {
        Group g = byName.get(name);
        if (g == null) {
            throw new CohortException("this session has no group named '" + name + "'; its groups are " + byName.keySet());
        }
        return g;
    }

    public synchronized List<Group> all() {
        return List.copyOf(byName.values());
    }

    public synchronized Group of(String workerId) {
        return byWorker.get(workerId);
    }

    /**
     * The variables that tell a member who it is. {@code rank0Address} is rank 0's address when it is
     * known as this member starts (null otherwise: the rendezvous tells it); {@code ownAddresses}: every
     * worker has an address of its own, so LOCAL_RANK is 0 for all.
     */
    public Map<String, String> identity(Group g, String workerId, int launchSize, String rank0Address, boolean ownAddresses) {
        int rank = g.rankOf(workerId);
        Map<String, String> env = new LinkedHashMap<>();
        env.put(WorkerVariables.COHORT_GROUP, g.name());
        env.put(WorkerVariables.COHORT_GROUP_DIR, g.directory().toString());
        env.put(WorkerVariables.COHORT_ROLE, g.memberRole().get(rank));
        env.put(WorkerVariables.COHORT_ROLE_INDEX, Integer.toString(g.roleIndex().get(rank)));
        env.put(WorkerVariables.COHORT_LAUNCH_SIZE, Integer.toString(launchSize));
        env.put(WorkerVariables.RANK, Integer.toString(rank));
        env.put(WorkerVariables.WORLD_SIZE, Integer.toString(g.size()));
        if (ownAddresses) {
            env.put(WorkerVariables.LOCAL_RANK, "0");
            env.put(WorkerVariables.LOCAL_WORLD_SIZE, "1");
        }
        if (rank0Address != null) {
            env.put(WorkerVariables.MASTER_ADDR, rank0Address);
        }
        env.put(WorkerVariables.MASTER_PORT, Integer.toString(g.masterPort()));
        return env;
    }

    /** Watches members: the rendezvous is made when the last one is ready, or failed when one ends first. */
    @Override
    public void accept(WorkerEvent event) {
        if (!(event instanceof WorkerEvent.Changed c)) {
            return;
        }
        Group g = of(c.worker().id());
        if (g == null || g.ready().isDone()) {
            return;
        }
        Worker w = c.worker();
        if (w.status().isFinal()) {
            g.ready().completeExceptionally(new CohortException("group '" + g.name() + "' cannot be ready: its member " + w.id()
                    + " (rank " + g.rankOf(w.id()) + ") " + w.status().label() + (w.reason() == null ? "" : " (" + w.reason() + ")")
                    + " before every member ran"));
            return;
        }
        List<Worker> members = new ArrayList<>();
        for (String id : g.members()) {
            Worker m = id.equals(w.id()) ? w : workers.apply(id);
            if (m.status() != Status.RUNNING || m.ipAddress() == null || Boolean.FALSE.equals(m.ready())) {
                return;
            }
            members.add(m);
        }
        synchronized (g) {
            if (g.ready().isDone()) {
                return;
            }
            try {
                Rendezvous r = rendezvous(g, members);
                write(r);
                g.ready().complete(r);
            } catch (IOException | RuntimeException e) {
                g.ready().completeExceptionally(new CohortException("group '" + g.name() + "': its rendezvous files cannot be"
                        + " written to " + g.directory() + ": " + e.getMessage(), e));
            }
        }
    }

    private Rendezvous rendezvous(Group g, List<Worker> members) {
        List<Rendezvous.Member> out = new ArrayList<>();
        Map<String, Integer> perAddress = new HashMap<>();
        for (int rank = 0; rank < members.size(); rank++) {
            Worker m = members.get(rank);
            int local = perAddress.merge(m.ipAddress(), 1, Integer::sum) - 1;
            out.add(new Rendezvous.Member(rank, g.memberRole().get(rank), g.roleIndex().get(rank), local, m.id(),
                    m.ipAddress(), g.masterPort() + rank));
        }
        return new Rendezvous(g.name(), members.size(), members.get(0).ipAddress(), g.masterPort(), out, g.directory());
    }

    /** The rendezvous as the API and cluster.json write it. */
    public static Map<String, Object> json(Rendezvous r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group", r.group());
        m.put("size", r.size());
        m.put("master_addr", r.masterAddr());
        m.put("master_port", r.masterPort());
        List<Map<String, Object>> members = new ArrayList<>();
        Map<String, List<String>> roles = new LinkedHashMap<>();
        for (Rendezvous.Member x : r.members()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("rank", x.rank());
            one.put("role", x.role());
            one.put("role_index", x.roleIndex());
            one.put("local_rank", x.localRank());
            one.put("worker", x.worker());
            one.put("address", x.address());
            one.put("port", x.port());
            members.add(one);
            roles.computeIfAbsent(x.role(), k -> new ArrayList<>()).add(x.address() + ":" + x.port());
        }
        m.put("members", members);
        m.put("cluster", roles);
        m.put("directory", r.directory().toString());
        return m;
    }

    /** One member's TF_CONFIG: the whole cluster by role, and its own task. */
    public static Map<String, Object> tfConfig(Rendezvous r, Rendezvous.Member member) {
        Map<String, List<String>> cluster = new LinkedHashMap<>();
        for (Rendezvous.Member x : r.members()) {
            cluster.computeIfAbsent(x.role(), k -> new ArrayList<>()).add(x.address() + ":" + x.port());
        }
        return Map.of("cluster", cluster, "task", Map.of("type", member.role(), "index", member.roleIndex()));
    }

    /** cluster.json, hosts and each member's TF_CONFIG, each written whole or not at all. */
    private static void write(Rendezvous r) throws IOException {
        Path dir = r.directory();
        PrivateFiles.folder(dir.resolve("tf_config"));
        for (Rendezvous.Member m : r.members()) {
            atomically(dir.resolve("tf_config").resolve(m.worker() + ".json"), Json.write(tfConfig(r, m)));
        }
        Map<String, Integer> slots = new LinkedHashMap<>();
        r.members().forEach(m -> slots.merge(m.address(), 1, Integer::sum));
        StringBuilder hosts = new StringBuilder();
        slots.forEach((address, n) -> hosts.append(address).append(" slots=").append(n).append('\n'));
        atomically(dir.resolve("hosts"), hosts.toString());
        atomically(dir.resolve("cluster.json"), Json.write(json(r)));
    }

    private static void atomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        PrivateFiles.file(tmp);
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A port for rank 0 such that it and the next {@code size - 1} ports are free at the session's
     * address now (best effort: another program may take one later). Ranks' ports are {@code port + rank}.
     */
    private int freePort(int size) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int base;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(masterAddress), 0));
                base = s.getLocalPort();
            } catch (IOException e) {
                return 29500;
            }
            if (base + size <= 65535) {
                return base;
            }
        }
        return 29500;
    }
}
