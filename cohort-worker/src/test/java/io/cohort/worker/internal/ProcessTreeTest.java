package io.cohort.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a tree of real processes is ended: SIGTERM first, SIGKILL for what is left after the grace. */
class ProcessTreeTest {
    private Process leader;

    @AfterEach
    void endWhateverIsLeft() {
        if (leader != null) {
            ProcessTree.ofLeader(leader.toHandle()).kill();
        }
    }

    @Test
    void aChildThatIgnoresTermInTheLeadersGroupIsKilledWhenTheGraceRunsOut() throws IOException {
        List<Long> pids = startLeader("sh -c \"trap '' TERM; echo \\$\\$; exec sleep 300\" & echo $$; wait", 2);

        ProcessTree.Signal ended = ProcessTree.ofLeader(leader.toHandle()).stop(Duration.ofMillis(300));

        assertThat(ended).isEqualTo(ProcessTree.Signal.KILL);
        assertThat(live(pids)).isEmpty();
    }

    @Test
    void aTreeThatObeysTermEndsWithTermLongBeforeTheGraceRunsOut() throws IOException {
        List<Long> pids = startLeader("sleep 300 & echo $!; echo $$; wait", 2);
        long start = System.nanoTime();

        ProcessTree.Signal ended = ProcessTree.ofLeader(leader.toHandle()).stop(Duration.ofSeconds(60));

        assertThat(ended).isEqualTo(ProcessTree.Signal.TERM);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(live(pids)).isEmpty();
    }

    @Test
    void aDescendantThatStartedASessionOfItsOwnIsStillPartOfTheTree() throws IOException {
        List<Long> pids = startLeader("setsid sh -c 'echo $$; exec sleep 300' & echo $$; wait", 2);
        ProcessTree tree = ProcessTree.ofLeader(leader.toHandle());
        assertThat(tree.members()).containsAll(pids);

        assertThat(tree.stop(Duration.ofSeconds(60))).isEqualTo(ProcessTree.Signal.TERM);
        assertThat(live(pids)).isEmpty();
        assertThat(tree.isEmpty()).isTrue();
    }

    @Test
    void aTreeOfGivenMembersIsEndedAndThisJvmIsNeverPartOfIt() throws IOException {
        List<Long> pids = startLeader("echo $$; exec sleep 300", 1);
        long self = ProcessHandle.current().pid();
        ProcessTree tree = ProcessTree.of(() -> new java.util.TreeSet<>(List.of(pids.get(0), self)));
        assertThat(tree.members()).containsExactly(pids.get(0));

        assertThat(tree.stop(Duration.ZERO)).isIn(ProcessTree.Signal.TERM, ProcessTree.Signal.KILL);
        assertThat(live(pids)).isEmpty();
    }

    /** Starts {@code script} as a process-group leader and reads the pids it prints, one a line. */
    private List<Long> startLeader(String script, int lines) throws IOException {
        leader = new ProcessBuilder("setsid", "/bin/sh", "-c", script).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(leader.getInputStream(), StandardCharsets.UTF_8));
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            pids.add(Long.parseLong(out.readLine().trim()));
        }
        return pids;
    }

    private static List<Long> live(List<Long> pids) {
        return ProcTable.read().stream().map(ProcTable.Entry::pid).filter(pids::contains).toList();
    }
}
