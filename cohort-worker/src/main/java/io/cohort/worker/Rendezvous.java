package io.cohort.worker;

import io.cohort.worker.internal.ControlPlaneClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Inside a worker: its group's rendezvous (docs/groups.md), once every member runs and every service
 * member is ready. Fetched by {@link Cohort#rendezvous(Duration)}.
 *
 * @param group      the group's name
 * @param size       how many members it has (WORLD_SIZE)
 * @param masterAddr rank 0's address (MASTER_ADDR)
 * @param masterPort the port set aside for rank 0 (MASTER_PORT); member k's is {@code masterPort + k}
 * @param rank       this worker's rank
 * @param localRank  this worker's index among the members on its address (LOCAL_RANK)
 * @param members    every member, by rank
 * @param tfConfig   this worker's TF_CONFIG (JSON)
 */
public record Rendezvous(String group, int size, String masterAddr, int masterPort, int rank, int localRank,
                         List<Member> members, String tfConfig) {
    public Rendezvous {
        members = List.copyOf(members);
    }

    /** One member: its rank, role, index within the role, worker id, address and port. */
    public record Member(int rank, String role, int roleIndex, String worker, String address, int port) {
    }

    /** Waits (long polls of at most a minute each) until the group is ready; see {@link Cohort#rendezvous(Duration)}. */
    static Rendezvous await(ControlPlaneClient client, String group, String me, Duration timeout) {
        long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline == Long.MAX_VALUE ? 60_000 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            long wait = Math.min(60_000, left);
            String answer;
            try {
                answer = client.callJson("POST", "/v1/groups/" + ControlPlaneClient.segment(group) + "/rendezvous",
                        "{\"wait_ms\":" + wait + "}", null, (int) wait + 30_000);
            } catch (ControlPlaneClient.Refused e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) Json.parse(answer);
            if (Boolean.TRUE.equals(r.get("ready"))) {
                return of(r, me);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("group '" + group + "' is not ready after " + timeout.toMillis()
                        + " ms; still waiting for " + r.get("waiting_for"));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Rendezvous of(Map<String, Object> r, String me) {
        List<Member> members = new ArrayList<>();
        int rank = -1;
        int localRank = 0;
        String tf = null;
        for (Object o : (List<Object>) r.get("members")) {
            Map<String, Object> m = (Map<String, Object>) o;
            Member member = new Member(number(m.get("rank")), (String) m.get("role"), number(m.get("role_index")),
                    (String) m.get("worker"), (String) m.get("address"), number(m.get("port")));
            members.add(member);
            if (member.worker().equals(me)) {
                rank = member.rank();
                localRank = number(m.get("local_rank"));
                tf = Json.write(Map.of("cluster", r.get("cluster"),
                        "task", Map.of("type", member.role(), "index", member.roleIndex())));
            }
        }
        return new Rendezvous((String) r.get("group"), number(r.get("size")), (String) r.get("master_addr"),
                number(r.get("master_port")), rank, localRank, members, tf);
    }

    private static int number(Object o) {
        return ((Number) o).intValue();
    }
}
