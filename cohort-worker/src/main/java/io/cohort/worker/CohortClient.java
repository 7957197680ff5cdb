package io.cohort.worker;

import io.cohort.worker.internal.ControlPlaneClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A connection to a session's control plane from any Java program: a worker (see {@link Cohort},
 * which makes one from the worker's environment), a tool, a benchmark.
 *
 * <pre>{@code
 * var client = new CohortClient("http://127.0.0.1:41234", token, "loader");
 * client.queue("urls").put("https://example.org/");
 * }</pre>
 */
public final class CohortClient {
    private final ControlPlaneClient client;

    /**
     * @param api    the session's control-plane URL (COHORT_API)
     * @param token  the session's token (COHORT_TOKEN)
     * @param caller who is calling: leases, results and snapshots are tagged with it
     */
    public CohortClient(String api, String token, String caller) {
        this.client = new ControlPlaneClient(api, token, caller);
    }

    /**
     * A client of a control plane that speaks TLS (an https:// {@code api}), trusting only the
     * certificate {@code pin} names (COHORT_TLS_PIN: "sha256:" and its hex SHA-256).
     */
    public CohortClient(String api, String token, String caller, String pin) {
        this.client = new ControlPlaneClient(api, token, caller, pin);
    }

    CohortClient(ControlPlaneClient client) {
        this.client = client;
    }

    public WorkItems queue(String name) {
        return new WorkItems(client, name);
    }

    public StoredResults results() {
        return new StoredResults(client);
    }

    public SavedSnapshots snapshots() {
        return new SavedSnapshots(client);
    }

    /** Every worker of the session, running and ended, in launch order (GET /v1/workers). */
    public List<Peer> workers() {
        List<Peer> peers = new ArrayList<>();
        for (Object o : (List<?>) Json.parse(client.callJson("GET", "/v1/workers", null, null, 60_000))) {
            peers.add(Peer.from((Map<?, ?>) o));
        }
        return peers;
    }
}
