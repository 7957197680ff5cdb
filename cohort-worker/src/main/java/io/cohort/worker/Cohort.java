package io.cohort.worker;

/**
 * The worker side of cohort: what a program running inside a worker can ask about itself and its
 * session. JDK only, so it costs nothing at start-up. The values come from the environment the
 * session gave the worker; the same names work from any language.
 */
public final class Cohort {
    private Cohort() {
    }

    /** This worker's id ("w3"), also in CDSW_ENGINE_ID. */
    public static String workerId() {
        return require("CDSW_ENGINE_ID");
    }

    /** The session's id, also in CDSW_MASTER_ID. */
    public static String sessionId() {
        return require("CDSW_MASTER_ID");
    }

    /** The session's address (CML_MASTER_IP): where the session's sockets and control plane listen. */
    public static String masterIp() {
        return require("CML_MASTER_IP");
    }

    /** This worker's own address (CDSW_IP_ADDRESS): bind servers here so workers never collide. */
    public static String ipAddress() {
        return require("CDSW_IP_ADDRESS");
    }

    /** The port a web app of this worker should listen on, at {@link #ipAddress()}. */
    public static int appPort() {
        return Integer.parseInt(require("CDSW_APP_PORT"));
    }

    /** This worker's position in its launch, from 0. */
    public static int index() {
        return Integer.parseInt(require("COHORT_WORKER_INDEX"));
    }

    /** True when this program runs inside a cohort worker. */
    public static boolean insideWorker() {
        return System.getenv("CDSW_ENGINE_ID") != null && "worker".equals(System.getenv("CDSW_ENGINE_TYPE"));
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null) {
            throw new IllegalStateException(name + " is not set: this program is not running inside a cohort worker");
        }
        return v;
    }
}
