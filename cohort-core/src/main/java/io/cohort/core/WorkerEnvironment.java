package io.cohort.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A worker's environment: the session's own, minus what would mislead the worker (blank proxy
 * variables break gRPC clients; a parent session's worker variables), plus the reference's names,
 * plus the user's, with the variables the session relies on (its id, the worker's id) kept last.
 */
public final class WorkerEnvironment {
    private static final Set<String> PROXY_VARIABLES = Set.of("http_proxy", "https_proxy", "no_proxy", "all_proxy",
            "ftp_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "FTP_PROXY");
    /** The port each worker's web app listens on; every worker has its own address, so all can use it. */
    public static final int APP_PORT = 8080;

    private WorkerEnvironment() {
    }

    public static Map<String, String> build(Map<String, String> inherited, String sessionId, String sessionDir,
                                            String masterIp, String workerId, int index, double cpu, double memoryGb,
                                            Map<String, String> user) {
        Map<String, String> env = new LinkedHashMap<>();
        inherited.forEach((k, v) -> {
            boolean blankProxy = PROXY_VARIABLES.contains(k) && v.isBlank();
            boolean parentWorker = k.startsWith("CDSW_") || k.startsWith("CML_") || k.startsWith("COHORT_");
            if (!blankProxy && !parentWorker) {
                env.put(k, v);
            }
        });
        env.put("CML_MASTER_IP", masterIp);
        env.put("CDSW_MASTER_IP", masterIp);
        env.put("CDSW_ENGINE_TYPE", "worker");
        env.put("CDSW_APP_PORT", Integer.toString(APP_PORT));
        env.put("CDSW_CPU_MILLICORES", Long.toString(Math.round(cpu * 1000)));
        env.put("CDSW_MEMORY_MB", Long.toString(Math.round(memoryGb * 1024)));
        env.put("COHORT_SESSION_DIR", sessionDir);
        env.putAll(user);
        env.put("CDSW_MASTER_ID", sessionId);
        env.put("CDSW_ENGINE_ID", workerId);
        env.put("COHORT_SESSION_ID", sessionId);
        env.put("COHORT_WORKER_ID", workerId);
        env.put("COHORT_WORKER_INDEX", Integer.toString(index));
        return env;
    }
}
