package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The group recipes of examples/recipes (docs/groups.md), run as they are, each from a Python session:
 * a torch-style rendezvous with an all-reduce over sockets, a TF_CONFIG consumer, an Open MPI program
 * (Debian's openmpi-bin, installed by scripts/prerequisites), a Dask cluster.
 */
class RecipesTest extends PythonSessions {
    private static String recipe(String name) throws Exception {
        Path p = Path.of("..", "examples", "recipes", name);
        return Files.readString(p);
    }

    @Test
    void fourWorkersAllReduceThroughMasterAddrAndPort() throws Exception {
        PythonProcess p = run("allreduce.py", recipe("allreduce.py"));
        // 1 + 4 + 9 + 16, seen by every rank.
        for (int rank = 0; rank < 4; rank++) {
            assertThat(p.out()).contains("rank " + rank + " of 4: sum 30");
        }
        assertThat(p.out()).contains("ALLREDUCE DONE on 4 workers");
    }

    @Test
    void aChiefAndTwoWorkersReadTheirTfConfig() throws Exception {
        PythonProcess p = run("tf_config.py", recipe("tf_config.py"));
        assertThat(p.out()).contains("chief 0 of cluster [('chief', 1), ('worker', 2)]")
                .contains("worker 0 of cluster [('chief', 1), ('worker', 2)]")
                .contains("worker 1 of cluster [('chief', 1), ('worker', 2)]")
                .contains("TF_CONFIG DONE on 3 workers");
    }

    @Test
    void anOpenMpiProgramRunsAcrossTheGroupEachRankInsideItsOwnWorker() throws Exception {
        PythonProcess p = run("mpi_allreduce.py", recipe("mpi_allreduce.py"));
        for (int rank = 0; rank < 3; rank++) {
            assertThat(p.out()).contains("mpi rank " + rank + " of 3: sum 14");
        }
        assertThat(p.out()).contains("MPI DONE on 3 workers");
    }

    @Test
    void aDaskSchedulerServiceAndItsWorkersComputeAsOneGroup() throws Exception {
        PythonProcess p = run("dask_cluster.py", recipe("dask_cluster.py"));
        assertThat(p.out()).contains("DASK RESULT 328350 on 2 workers");
    }
}
