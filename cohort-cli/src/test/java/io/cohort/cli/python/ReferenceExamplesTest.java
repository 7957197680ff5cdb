package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The reference documentation's own Python examples, run as scripts with {@code import cdsw}. */
class ReferenceExamplesTest extends PythonSessions {

    @Test
    void helloWorldPrintsEachWorkersLineInTheSessionsOutput() throws Exception {
        PythonProcess p = run("hello.py", """
                import cdsw
                workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, code="print('Hello from a CDSW Worker')")
                cdsw.await_workers(workers, wait_for_completion=True)
                print("awaited")
                """);

        assertThat(p.out()).contains("[w1] Hello from a CDSW Worker", "[w2] Hello from a CDSW Worker",
                "[w1] -- succeeded in ", "[w2] -- succeeded in ");
        // The workers' lines come before await_workers returns.
        assertThat(p.out().indexOf("[w1] Hello")).isLessThan(p.out().indexOf("awaited"));
        assertThat(p.out().indexOf("[w2] Hello")).isLessThan(p.out().indexOf("awaited"));
    }

    @Test
    void aSessionScriptWithShellLinesRunsAsInTheReferencesEngine() throws Exception {
        // As public scripts for the reference are written: a '!' line first, worker code from an
        // indented triple-quoted string, arguments for the script.
        write("engine.py", """
                !echo preparing in $CDSW_ENGINE_TYPE $CDSW_ENGINE_ID
                import cdsw, os, sys

                worker_code = '''
                              import os
                              engine_id = os.environ.get('CDSW_ENGINE_ID')
                              print('executing inside worker: {}'.format(engine_id))
                              '''
                workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.25, code=worker_code)
                assert cdsw.await_workers(workers)["failures"] == []
                listing = !ls engine.py
                print("args", sys.argv[1:], "listing", listing[0], "engine", os.environ["CDSW_ENGINE_ID"])
                """);
        PythonProcess p = start("-m", java.util.Map.of(), "cohort_run", "engine.py", "alpha", "beta");

        assertThat(p.awaitExit(RUN_WITHIN)).as(p.describe()).isZero();
        assertThat(p.out()).contains("preparing in console ", "[w1] executing inside worker: w1",
                "[w2] executing inside worker: w2", "args ['alpha', 'beta'] listing engine.py engine ");
    }

    @Test
    void networkExampleWorkersConnectToTheMasterIpAndGetAReply() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // The reference's example, with the free port for 6000, each worker's connection accepted in
        // turn (the documented one accepts once and serves the same connection twice), and the
        // listening socket set up before the workers are launched rather than after, so that a fast
        // worker cannot find the port closed.
        write("worker.py", """
                # worker.py
                import os, socket
                # Open a TCP connection to the master.
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.connect((os.environ["CDSW_MASTER_IP"], PORT))
                # Send some data to the master.
                s.send("Hello From Worker!".encode())
                # Receive a response from the master.
                data = s.recv(1024)
                print("Worker received: ", data)
                s.close()
                """.replace("PORT", Integer.toString(port)));
        PythonProcess p = run("session.py", """
                # session.py
                import cdsw, socket
                # Listen on TCP port PORT
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", PORT))
                s.listen(2)
                # Launch two CDSW workers. These are engines that will run in
                # the same project, run a given code or script, and exit.
                workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, script="worker.py")
                # Accept two connections, one from each worker. Workers will
                # execute worker.py.
                for i in range(2):
                    conn, addr = s.accept()
                    # Receive a message from each worker and return a response.
                    data = conn.recv(20)
                    if not data: break
                    print("Master received:", data)
                    conn.send("Hello From Server!".encode())
                    conn.close()
                cdsw.await_workers(workers)
                """.replace("PORT", Integer.toString(port)));

        String out = p.out();
        assertThat(out.split("Master received: b'Hello From Worker!'", -1)).hasSize(3);
        assertThat(out).contains("[w1] Worker received:  b'Hello From Server!'", "[w2] Worker received:  b'Hello From Server!'",
                "[w1] -- succeeded", "[w2] -- succeeded");
    }
}
