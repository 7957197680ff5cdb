package io.cohort.worker;

import io.cohort.worker.internal.ControlPlaneClient;

/** Results as a worker stores them: a JSON value under a key, tagged with this worker and its current item. */
public final class StoredResults {
    private final ControlPlaneClient client;

    StoredResults(ControlPlaneClient client) {
        this.client = client;
    }

    /** Stores (or replaces) the value under the key; returns once the session has stored it. */
    public void put(String key, Object value) {
        client.callJson("PUT", ControlPlaneClient.resultPath(key), Json.write(value), Cohort.currentItemId(), 60_000);
    }

    /** The value under a key, parsed, or null when there is none. */
    public Object get(String key) {
        try {
            return Json.parse(client.callJson("GET", ControlPlaneClient.resultPath(key), null, null, 60_000));
        } catch (IllegalStateException e) {
            if (e.getMessage().contains("(404)")) {
                return null;
            }
            throw e;
        }
    }
}
