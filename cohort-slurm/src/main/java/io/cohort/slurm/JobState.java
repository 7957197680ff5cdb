package io.cohort.slurm;

import java.util.HashMap;
import java.util.Map;

/**
 * One job as squeue shows it: {@code JobID|State|Reason|NodeList|ExitCode}.
 *
 * @param jobId    Slurm's job id
 * @param state    PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, NODE_FAIL, ...
 * @param reason   why it waits or why it ended ("Resources", "Priority", "None", ...)
 * @param nodes    where it runs or ran
 * @param exitCode its exit code as Slurm records it, or -1 when unknown
 */
record JobState(String jobId, String state, String reason, String nodes, int exitCode) {
    /** The squeue --Format that {@link #parse} reads. */
    static final String FORMAT = "JobID:|,State:|,Reason:|,NodeList:|,exit_code:";

    boolean pending() {
        return state.equals("PENDING") || state.equals("REQUEUED") || state.equals("SUSPENDED");
    }

    /** True once the job has ended for good. */
    boolean ended() {
        return switch (state) {
            case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL",
                 "DEADLINE", "SPECIAL_EXIT", "REVOKED" -> true;
            default -> false;
        };
    }

    /** Why it waits, for the worker's status line. */
    String waitingReason() {
        return "pending in Slurm's queue as job " + jobId + " (" + reasonText(reason) + ")";
    }

    /** Why it ended without its agent reporting the end, for the worker's reason. */
    String endReason() {
        String job = "Slurm job " + jobId;
        return switch (state) {
            case "CANCELLED" -> job + " was cancelled outside the session (scancel, or an administrator)";
            case "TIMEOUT" -> job + " reached its time limit (cohort.slurm.time / the partition's limit)";
            case "NODE_FAIL" -> job + " ended because its node " + nodes + " failed";
            case "OUT_OF_MEMORY" -> job + " ran out of memory: ask for more memory per worker";
            case "PREEMPTED" -> job + " was preempted by a job of higher priority";
            case "BOOT_FAIL" -> job + " could not start: its node " + nodes + " failed to boot";
            case "DEADLINE" -> job + " passed its deadline";
            case "COMPLETED" -> job + " completed, but its agent never reported the program's end";
            default -> job + " ended " + state.toLowerCase(java.util.Locale.ROOT) + (reason.equals("None") ? "" : " ("
                    + reasonText(reason) + ")") + "; its agent could not report why: see its Slurm output file";
        };
    }

    /** Parses squeue's lines, by job id; lines it cannot read are skipped. */
    static Map<String, JobState> parse(String squeueOutput) {
        Map<String, JobState> out = new HashMap<>();
        for (String line : squeueOutput.split("\n")) {
            String[] f = line.strip().split("\\|", -1);
            if (f.length < 5 || f[0].isBlank()) {
                continue;
            }
            int code;
            try {
                code = Integer.parseInt(f[4].strip().split(":")[0]);
            } catch (NumberFormatException e) {
                code = -1;
            }
            out.put(f[0].strip(), new JobState(f[0].strip(), f[1].strip(), f[2].strip(), f[3].strip(), code));
        }
        return out;
    }

    /** Slurm's reason codes in words, for the common ones. */
    static String reasonText(String reason) {
        return switch (reason) {
            case "Resources" -> "waiting for resources: the nodes are busy";
            case "Priority" -> "other jobs come first";
            case "None" -> "just submitted";
            case "PartitionDown" -> "its partition is down";
            case "PartitionNodeLimit", "PartitionTimeLimit" -> "it asks for more than its partition allows: " + reason;
            case "ReqNodeNotAvail" -> "the nodes it needs are unavailable (down or drained)";
            case "QOSMaxJobsPerUserLimit", "AssocMaxJobsLimit" -> "the account's job limit is reached: " + reason;
            case "Dependency" -> "it waits on another job";
            case "BeginTime" -> "its start time is in the future";
            default -> reason;
        };
    }
}
