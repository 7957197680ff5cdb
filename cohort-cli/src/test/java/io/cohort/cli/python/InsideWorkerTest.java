package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Inside a worker, {@code import cdsw} attaches to the worker's own session: list_workers() shows its peers. */
class InsideWorkerTest extends PythonSessions {

    @Test
    void aWorkerListsItsPeersWithCdsw() throws Exception {
        write("peer.py", """
                import os, cdsw
                me = os.environ["CDSW_ENGINE_ID"]
                assert os.environ["CDSW_ENGINE_TYPE"] == "worker"
                peers = cdsw.list_workers()
                print(me, "sees", sorted(w["id"] for w in peers), "as", os.environ["CDSW_ENGINE_TYPE"])
                assert next(w for w in peers if w["id"] == me)["status"] == "running"
                """);
        PythonProcess p = run("session.py", """
                import cdsw
                ws = cdsw.launch_workers(n=2, cpu=0.2, memory=0.25, script="peer.py")
                r = cdsw.await_workers(ws)
                assert r["failures"] == [], r
                """);

        assertThat(p.out()).contains("[w1] w1 sees ['w1', 'w2'] as worker", "[w2] w2 sees ['w1', 'w2'] as worker");
    }
}
