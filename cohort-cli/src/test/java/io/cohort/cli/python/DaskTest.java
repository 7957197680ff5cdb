package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A Dask cluster on workers, from a Python session with cdsw calls only (as the reference's users
 * run one): a worker runs the scheduler on its own address, two workers run Dask workers pointed at
 * it (its address from list_workers()), and the session computes on it with a distributed.Client.
 * When the session ends, nothing of it is left, the Dask workers' nanny children included.
 */
class DaskTest extends PythonSessions {

    @Test
    void aDaskClusterOnWorkersComputesAndLeavesNothing() throws Exception {
        PythonProcess p = run("dask_session.py", """
                import os, cdsw
                scheduler = cdsw.launch_workers(n=1, cpu=0.4, memory=1, code=(
                    "!python3 -m distributed.cli.dask_scheduler --host $CDSW_IP_ADDRESS --port 8786 --no-dashboard"))
                cdsw.await_workers(scheduler, wait_for_completion=False)
                ip = next(w for w in cdsw.list_workers() if w["id"] == scheduler[0]["id"])["ip_address"]
                address = "tcp://%s:8786" % ip
                dask_workers = cdsw.launch_workers(n=2, cpu=0.4, memory=1, code=(
                    "!python3 -m distributed.cli.dask_worker %s --host $CDSW_IP_ADDRESS --nworkers 1 --nthreads 1 --no-dashboard" % address))
                from distributed import Client
                client = Client(address, timeout=60)  # retries until the scheduler listens
                client.wait_for_workers(2, timeout=120)
                squares = client.map(lambda x: x * x, range(100))
                total = client.submit(sum, squares).result()
                assert total == 328350, total
                print("DASK RESULT", total, "on", len(client.scheduler_info()["workers"]), "workers")
                client.close()
                print("SESSION", os.environ["CDSW_ENGINE_ID"])
                """);

        assertThat(p.out()).contains("DASK RESULT 328350 on 2 workers");
        String session = p.out().replaceAll("(?s).*SESSION (\\S+).*", "$1");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(PythonProcess.processesOf(session)).as("processes of session %s", session).isEmpty());
    }
}
