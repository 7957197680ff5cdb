package io.cohort.worker;

import java.util.List;
import java.util.Set;

/**
 * The names of the environment variables every worker is given, in one place: the reference's
 * {@code CDSW_*} and {@code CML_*} names, cohort's own {@code COHORT_*} names, and the GPU
 * variables. The session sets them ({@code WorkerEnvironment}, {@code SessionHub}, the backends),
 * and the worker library, the agent and the command line read them by these constants.
 *
 * <p>Not here: the session's own settings ({@code COHORT_BACKEND}, {@code COHORT_CONFIG},
 * {@code COHORT_KEY} for {@code -Dcohort.KEY}), which {@code io.cohort.SessionOptions} reads in
 * cohort-api, the bottom module that depends on nothing (not even on this one); and the worker
 * sources users copy (the examples' resources), which spell the names out so that users see them.
 */
public final class WorkerVariables {
    /** The session's address, where its sockets and control plane listen (the reference's name). */
    public static final String CML_MASTER_IP = "CML_MASTER_IP";
    /** The session's address, as {@link #CML_MASTER_IP}. */
    public static final String CDSW_MASTER_IP = "CDSW_MASTER_IP";
    /** The session's id; the same as {@link #COHORT_SESSION_ID}. */
    public static final String CDSW_MASTER_ID = "CDSW_MASTER_ID";
    /** This worker's id ("w3"); the same as {@link #COHORT_WORKER_ID}. In the session's own code, the session's id. */
    public static final String CDSW_ENGINE_ID = "CDSW_ENGINE_ID";
    /** "worker" in a worker, "console" in the session's own code. */
    public static final String CDSW_ENGINE_TYPE = "CDSW_ENGINE_TYPE";
    /** This worker's own address: bind servers here, and workers on one machine never collide. */
    public static final String CDSW_IP_ADDRESS = "CDSW_IP_ADDRESS";
    /** The port the worker's web app listens on (8080); its app URL points there. */
    public static final String CDSW_APP_PORT = "CDSW_APP_PORT";
    /** The reference's read-only port (8000); nothing listens on it unless the worker's code does. */
    public static final String CDSW_READONLY_PORT = "CDSW_READONLY_PORT";
    /** The reference's public port (8100); nothing listens on it unless the worker's code does. */
    public static final String CDSW_PUBLIC_PORT = "CDSW_PUBLIC_PORT";
    /** The domain of app URLs ("localhost"). */
    public static final String CDSW_DOMAIN = "CDSW_DOMAIN";
    /** The project's name: the last part of the session's working directory. */
    public static final String CDSW_PROJECT = "CDSW_PROJECT";
    /** Who started the session (the session's USER). */
    public static final String CDSW_CREATOR = "CDSW_CREATOR";
    /** The CPUs the worker was launched with, in thousandths ("1500" for 1.5). */
    public static final String CDSW_CPU_MILLICORES = "CDSW_CPU_MILLICORES";
    /** The memory the worker was launched with, in MiB. */
    public static final String CDSW_MEMORY_MB = "CDSW_MEMORY_MB";

    /** The base URL of the session's control plane ("http://HOST:PORT"). */
    public static final String COHORT_API = "COHORT_API";
    /** The token every control-plane request carries ("Authorization: Bearer $COHORT_TOKEN"). Secret. */
    public static final String COHORT_TOKEN = "COHORT_TOKEN";
    /**
     * Set when the control plane speaks TLS to workers (COHORT_API is then https://): "sha256:" and the
     * hex SHA-256 of the session's own certificate, the only certificate a worker's client trusts.
     */
    public static final String COHORT_TLS_PIN = "COHORT_TLS_PIN";
    /**
     * Set with COHORT_TLS_PIN: a secret the members of the worker's group share and no other worker
     * knows, which {@code cohort_workers exec-server} and {@code rsh} check (each worker's COHORT_TOKEN is
     * then its own). Secret.
     */
    public static final String COHORT_GROUP_SECRET = "COHORT_GROUP_SECRET";
    /** The session's id. */
    public static final String COHORT_SESSION_ID = "COHORT_SESSION_ID";
    /** The session's directory (its store, output logs, client libraries). */
    public static final String COHORT_SESSION_DIR = "COHORT_SESSION_DIR";
    /** This worker's id ("w3"); also what a remote agent is told to run. */
    public static final String COHORT_WORKER_ID = "COHORT_WORKER_ID";
    /** This worker's index within its launch: 0, 1, 2, ... */
    public static final String COHORT_WORKER_INDEX = "COHORT_WORKER_INDEX";
    /** The R client library's file, for {@code source(Sys.getenv("COHORT_R_CLIENT"))}. */
    public static final String COHORT_R_CLIENT = "COHORT_R_CLIENT";
    /** Local workers: the id of the session's run, which marks every process of its workers for the guard. */
    public static final String COHORT_GUARD = "COHORT_GUARD";
    /** Optional, set by the user: how often a worker holding queue items sends its heartbeat, in ms. */
    public static final String COHORT_HEARTBEAT_MS = "COHORT_HEARTBEAT_MS";
    /** The remote agent's only (not the worker's): how long it tries to reach a silent session, in ms. */
    public static final String COHORT_AGENT_GIVE_UP_MS = "COHORT_AGENT_GIVE_UP_MS";

    /** The worker's group: the name given to launchGroup, or launch-K for the K-th plain launch (docs/groups.md). */
    public static final String COHORT_GROUP = "COHORT_GROUP";
    /** The group's folder, where its rendezvous files (cluster.json, hosts, tf_config/) are written. */
    public static final String COHORT_GROUP_DIR = "COHORT_GROUP_DIR";
    /** The worker's role in its group ("worker" for a plain launch). */
    public static final String COHORT_ROLE = "COHORT_ROLE";
    /** The worker's index within its role, from 0 (TF_CONFIG's task index). */
    public static final String COHORT_ROLE_INDEX = "COHORT_ROLE_INDEX";
    /** How many workers its launch (its role) started. */
    public static final String COHORT_LAUNCH_SIZE = "COHORT_LAUNCH_SIZE";
    /** The worker's rank in its group, from 0 (torch's convention). */
    public static final String RANK = "RANK";
    /** How many workers its group has. */
    public static final String WORLD_SIZE = "WORLD_SIZE";
    /** Its index among its group's workers on the same address; 0 on the local backend (every worker has its own address). */
    public static final String LOCAL_RANK = "LOCAL_RANK";
    /** How many of its group's workers share its address; set where it is known when the worker starts. */
    public static final String LOCAL_WORLD_SIZE = "LOCAL_WORLD_SIZE";
    /** Rank 0's address, where it is known when the worker starts (else the rendezvous gives it). */
    public static final String MASTER_ADDR = "MASTER_ADDR";
    /** A port set aside for rank 0 (rank k may use MASTER_PORT + k). */
    public static final String MASTER_PORT = "MASTER_PORT";

    /** The GPUs the worker may use, by index ("" when it has none). */
    public static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    /** The GPUs NVIDIA's container runtime exposes ("void" when the worker has none). */
    public static final String NVIDIA_VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";
    /** AMD's and OpenCL's name for the visible GPUs. */
    public static final String GPU_DEVICE_ORDINAL = "GPU_DEVICE_ORDINAL";
    /** AMD ROCm's name for the visible GPUs. */
    public static final String ROCR_VISIBLE_DEVICES = "ROCR_VISIBLE_DEVICES";
    /**
     * Every variable that says which GPUs a process may use: the session's own are never passed on
     * to workers on another machine, and a remote job keeps its host's where its engine allocated GPUs.
     */
    public static final Set<String> GPU_VARIABLES = Set.of(CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES,
            GPU_DEVICE_ORDINAL, ROCR_VISIBLE_DEVICES);
    /** The prefixes of worker variables: a session started inside a worker drops its parent's. */
    /** The conventional identity names without a prefix, set by the session for each worker of a group. */
    public static final Set<String> IDENTITY = Set.of(RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT);

    public static final List<String> PREFIXES = List.of("CDSW_", "CML_", "COHORT_");

    private WorkerVariables() {
    }

    /** True when {@code name} is a worker variable (it has one of the {@link #PREFIXES}). */
    public static boolean isWorkerVariable(String name) {
        return PREFIXES.stream().anyMatch(name::startsWith);
    }
}
