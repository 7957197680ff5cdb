package io.cohort.slurm;

import java.util.Map;

/**
 * {@link SlurmBackendTest}'s tests with the Java agent ({@code slurm.agent=java}): both agents keep
 * the same promises. Tests that do not depend on the agent are not run twice.
 */
class JavaAgentTest extends SlurmBackendTest {
    @Override
    Map<String, String> agentSettings() {
        return Map.of("slurm.agent", "java");
    }

    @Override
    String agentProcess() {
        return "java";
    }

    /** Slurm's time limit ends the job whatever its agent (and takes a minute): once is enough. */
    @Override
    void aJobThatReachesItsTimeLimitFailsWithThatReason() {
    }

    /** Refused before any job is submitted: no agent takes part. */
    @Override
    void slurmsRefusalsReachTheUserAtLaunchAndStartNothing() {
    }

    /** Refused when the session opens: no agent takes part. */
    @Override
    void aMissingSbatchIsAClearErrorWhenTheSessionOpens() {
    }
}
