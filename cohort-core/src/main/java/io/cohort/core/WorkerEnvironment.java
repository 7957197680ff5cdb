package io.cohort.core;

import io.cohort.worker.WorkerVariables;
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
    /** The reference's other engine ports; nothing listens on them unless the user's code does. */
    public static final int READONLY_PORT = 8000;
    public static final int PUBLIC_PORT = 8100;

    private WorkerEnvironment() {
    }

    public static Map<String, String> build(Map<String, String> inherited, String sessionId, String sessionDir,
                                            String masterIp, String workerId, int index, double cpu, double memoryGb,
                                            Map<String, String> user) {
        Map<String, String> env = new LinkedHashMap<>();
        inherited.forEach((k, v) -> {
            boolean blankProxy = PROXY_VARIABLES.contains(k) && v.isBlank();
            // A parent's worker variables, and its group identity (RANK, MASTER_ADDR, ...), are not this worker's.
            boolean parentWorker = WorkerVariables.isWorkerVariable(k) || WorkerVariables.IDENTITY.contains(k);
            if (!blankProxy && !parentWorker) {
                env.put(k, v);
            }
        });
        env.put(WorkerVariables.CML_MASTER_IP, masterIp);
        env.put(WorkerVariables.CDSW_MASTER_IP, masterIp);
        env.put(WorkerVariables.CDSW_ENGINE_TYPE, "worker");
        env.putAll(engineCommon(inherited, sessionDir));
        env.put(WorkerVariables.CDSW_CPU_MILLICORES, Long.toString(Math.round(cpu * 1000)));
        env.put(WorkerVariables.CDSW_MEMORY_MB, Long.toString(Math.round(memoryGb * 1024)));
        env.put(WorkerVariables.COHORT_SESSION_DIR, sessionDir);
        env.putAll(user);
        env.put(WorkerVariables.CDSW_MASTER_ID, sessionId);
        env.put(WorkerVariables.CDSW_ENGINE_ID, workerId);
        env.put(WorkerVariables.COHORT_SESSION_ID, sessionId);
        env.put(WorkerVariables.COHORT_WORKER_ID, workerId);
        env.put(WorkerVariables.COHORT_WORKER_INDEX, Integer.toString(index));
        return env;
    }

    /**
     * The reference's variables for code running in the session itself (the session is an engine
     * too): its id as CDSW_ENGINE_ID, its address, the app ports, the project and its creator.
     */
    public static Map<String, String> engine(Map<String, String> inherited, String sessionId, String masterIp,
                                             java.nio.file.Path workingDirectory) {
        Map<String, String> env = new LinkedHashMap<>(engineCommon(inherited, workingDirectory.toString()));
        env.put(WorkerVariables.CDSW_PROJECT, projectName(workingDirectory.toString()));
        env.put(WorkerVariables.CDSW_ENGINE_ID, sessionId);
        env.put(WorkerVariables.CDSW_ENGINE_TYPE, "console");
        env.put(WorkerVariables.CDSW_IP_ADDRESS, masterIp);
        return env;
    }

    private static Map<String, String> engineCommon(Map<String, String> inherited, String directory) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(WorkerVariables.CDSW_APP_PORT, Integer.toString(APP_PORT));
        env.put(WorkerVariables.CDSW_READONLY_PORT, Integer.toString(READONLY_PORT));
        env.put(WorkerVariables.CDSW_PUBLIC_PORT, Integer.toString(PUBLIC_PORT));
        env.put(WorkerVariables.CDSW_DOMAIN, "localhost");
        env.put(WorkerVariables.CDSW_PROJECT, projectName(System.getProperty("user.dir", directory)));
        env.put(WorkerVariables.CDSW_CREATOR, inherited.getOrDefault("USER", System.getProperty("user.name", "user")));
        return env;
    }

    private static String projectName(String directory) {
        java.nio.file.Path name = java.nio.file.Path.of(directory).getFileName();
        return name == null ? "project" : name.toString();
    }
}
