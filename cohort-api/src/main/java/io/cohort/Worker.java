package io.cohort;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one worker: what it was given, where it runs, and how it ended.
 * Lists and awaits return fresh snapshots; a snapshot never changes.
 *
 * @param id         unique within its session ("w1", "w2", ...); also its CDSW_ENGINE_ID
 * @param sessionId  the session that launched it
 * @param status     where it is in its life
 * @param kernel     what runs its program
 * @param runs       the script path or the first line of its code
 * @param cpu        CPU cores it was given
 * @param memoryGb   gigabytes of memory it was given
 * @param gpus       the GPU indices it holds (CUDA_VISIBLE_DEVICES), empty when none
 * @param ipAddress  its own address; every local worker has a distinct loopback address
 * @param appUrl     where a web app it serves on its app port (CDSW_APP_PORT) can be reached
 * @param pid        the process id of its program on its host, or null before it starts
 * @param createdAt  when the session accepted it
 * @param startedAt  when its program started, or null
 * @param finishedAt when it ended, or null
 * @param exitCode   its program's exit code, or null while running or if it never started
 * @param reason     why it failed or stopped, or why it still waits to be placed (null while running and on success)
 * @param notes      how its limits are enforced, and where they cannot be
 * @param group      the group it belongs to: the name given to {@link Session#launchGroup}, or
 *                   {@code launch-K} for the K-th plain launch (see docs/groups.md)
 * @param role       its role in the group ("worker" for a plain launch)
 * @param rank       its rank in the group, from 0 (its RANK); in launch order, roles in the order given
 * @param ready      for a service worker ({@link LaunchRequest#service()}): whether its readiness check
 *                   has passed; null for a worker that is not a service
 */
public record Worker(String id, String sessionId, Status status, Kernel kernel, String runs,
                     double cpu, double memoryGb, List<Integer> gpus, String ipAddress, String appUrl,
                     Long pid, Instant createdAt, Instant startedAt, Instant finishedAt,
                     Integer exitCode, String reason, List<String> notes, String group, String role, int rank,
                     Boolean ready) {

    public Worker {
        gpus = List.copyOf(gpus);
        notes = List.copyOf(notes);
    }

    /** Whether it is a service worker (it has a readiness check, and stays up until stopped). */
    public boolean isService() {
        return ready != null;
    }

    /** A worker just accepted by its session: scheduling, not yet placed. */
    public static Worker scheduling(String id, String sessionId, Kernel kernel, String runs, double cpu, double memoryGb,
                                    Instant createdAt, String group, String role, int rank, boolean service) {
        return new Worker(id, sessionId, Status.SCHEDULING, kernel, runs, cpu, memoryGb, List.of(), null, null, null,
                createdAt, null, null, null, null, List.of(), group, role, rank, service ? Boolean.FALSE : null);
    }

    /** This service worker once its readiness check passed. */
    public Worker withReady() {
        return new Worker(id, sessionId, status, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, finishedAt, exitCode, reason, notes, group, role, rank, Boolean.TRUE);
    }

    /** This worker with another status and reason. */
    public Worker withStatus(Status status, String reason) {
        return new Worker(id, sessionId, status, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, finishedAt, exitCode, reason, notes, group, role, rank, ready);
    }

    /** This worker placed by its backend: its address, the URL of its app, the GPUs it holds, how its limits are enforced. */
    public Worker withPlacement(Status status, String ipAddress, String appUrl, List<Integer> gpus, List<String> notes) {
        return new Worker(id, sessionId, status, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, finishedAt, exitCode, null, notes, group, role, rank, ready);
    }

    /** This worker running: its program's pid and when it started. */
    public Worker withStart(long pid, Instant startedAt) {
        return new Worker(id, sessionId, Status.RUNNING, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, null, null, null, notes, group, role, rank, ready);
    }

    /** This worker ended: how, with which exit code (or null), why (or null), and when. */
    public Worker withEnd(Status status, Integer exitCode, String reason, Instant finishedAt) {
        return new Worker(id, sessionId, status, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, finishedAt, exitCode, reason, notes, group, role, rank, ready);
    }

    /** This worker as a resumed session restores it: its address, pid and times as stored. */
    public Worker withHistory(String ipAddress, Long pid, Instant startedAt, Instant finishedAt) {
        return new Worker(id, sessionId, status, kernel, runs, cpu, memoryGb, gpus, ipAddress, appUrl, pid, createdAt,
                startedAt, finishedAt, exitCode, reason, notes, group, role, rank, ready);
    }

    /** How long it ran: start to finish, start to now while running, or zero before it starts. */
    public Duration duration() {
        if (startedAt == null) {
            return Duration.ZERO;
        }
        return Duration.between(startedAt, finishedAt != null ? finishedAt : Instant.now());
    }

    /** One line for a console: id, status, address, resources, program, exit. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(id).append(' ').append(status.label())
                .append(" ip=").append(ipAddress)
                .append(" cpu=").append(trim(cpu))
                .append(" mem=").append(trim(memoryGb)).append("GB");
        if (!gpus.isEmpty()) {
            s.append(" gpus=").append(gpus);
        }
        s.append(' ').append(kernel).append(": ").append(runs);
        if (exitCode != null) {
            s.append(" exit=").append(exitCode);
        }
        if (reason != null) {
            s.append(" (").append(reason).append(')');
        }
        return s.toString();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
