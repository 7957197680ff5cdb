package io.cohort.worker;

import java.util.Map;

/**
 * Another worker of the same session (or this one), as {@link Cohort#workers()} lists it: enough to
 * find and reach it.
 *
 * @param id        its id ("w3"), its CDSW_ENGINE_ID
 * @param status    "scheduling", "starting", "running", "succeeded", "failed" or "stopped"
 * @param kernel    what runs its program: "java", "jshell", "python3", "r" or "shell"
 * @param ipAddress its own address (its CDSW_IP_ADDRESS), or null before it is placed
 * @param appUrl    where a web app it serves on its app port (CDSW_APP_PORT) can be reached, or null
 */
public record Peer(String id, String status, String kernel, String ipAddress, String appUrl) {

    /** True while its program runs (it may not be listening yet: a client retries its connection). */
    public boolean running() {
        return "running".equals(status);
    }

    /** True once it has ended (succeeded, failed or stopped). */
    public boolean ended() {
        return "succeeded".equals(status) || "failed".equals(status) || "stopped".equals(status);
    }

    /** The port of its app URL (its CDSW_APP_PORT), or -1 when it has none. */
    public int appPort() {
        if (appUrl == null) {
            return -1;
        }
        return java.net.URI.create(appUrl).getPort();
    }

    static Peer from(Map<?, ?> m) {
        return new Peer(text(m.get("id")), text(m.get("status")), text(m.get("kernel")), text(m.get("ip_address")),
                text(m.get("app_url")));
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }
}
