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
    void theDocumentedNetworkExampleRunsUnmodifiedThoughItsWorkersStartBeforeTheSessionListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // The reference's master.py and worker.py as documented, with a free port for 6000. The
        // session listens only after launch_workers() returns, and cohort's workers start within
        // milliseconds: a worker's refused connection to the session is tried again (cohort_run).
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
                s.close()
                print("Worker received: ", data)
                """.replace("PORT", Integer.toString(port)));
        PythonProcess p = run("master.py", """
                import cdsw, socket
                # Launch two CDSW workers. These are engines that will run in
                # the same project, execute a given code or script, and exit.
                workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, script="worker.py")
                # Listen on TCP port PORT
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(("0.0.0.0", PORT))
                s.listen(1)
                # Accept two connections, one from each worker. Workers will
                # execute worker.py.
                conn, addr = s.accept()
                for i in range(2):
                    # Receive a message from each worker and return a response.
                    data = conn.recv(20)
                    if not data: break
                    print("Master received:", data)
                    conn.send("Hello From Server!".encode())
                conn.close()
                """.replace("PORT", Integer.toString(port)));

        // As in the reference: the one accepted connection is served; the other worker waits until
        // the session ends with the script.
        String out = p.out();
        assertThat(out).contains("Master received: b'Hello From Worker!'", "] Worker received:  b'Hello From Server!'")
                .doesNotContain("ConnectionRefusedError", "Traceback");
    }

    @Test
    void aWorkersRefusedConnectionToTheSessionIsTriedAgainUntilTheSessionListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // The worker says when it is about to connect; the session listens only well after that, so
        // the worker's first attempt is refused. With the retry turned off it fails at once.
        write("worker.py", """
                import os, socket
                open("connecting-" + os.environ["CDSW_ENGINE_ID"], "w").close()
                s = socket.create_connection((os.environ["CDSW_MASTER_IP"], PORT))
                print("worker got", s.recv(100).decode())
                """.replace("PORT", Integer.toString(port)));
        PythonProcess p = run("late.py", """
                import cdsw, os, socket, time
                def late_listener(worker):
                    while not os.path.exists("connecting-" + worker["id"]):
                        time.sleep(0.01)
                    time.sleep(0.5)  # the worker's connect has been refused by now
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("0.0.0.0", PORT))
                    s.listen(1)
                    return s
                w = cdsw.launch_workers(1, 0.2, 0.25, script="worker.py")[0]
                s = late_listener(w)
                conn, _ = s.accept()
                conn.send(b"hello"); conn.close(); s.close()
                assert cdsw.await_workers(w)["failures"] == []
                w = cdsw.launch_workers(1, 0.2, 0.25, script="worker.py", env={"COHORT_MASTER_CONNECT_RETRY_SECONDS": "0"})[0]
                s = late_listener(w)
                r = cdsw.await_workers(w)
                assert [x["status"] for x in r["failures"]] == ["failed"], r
                print("retry checked")
                """.replace("PORT", Integer.toString(port)));

        assertThat(p.out()).contains("[w1] worker got hello", "retry checked");
        assertThat(p.err()).contains("[w2] ConnectionRefusedError");
    }

    @Test
    void aScriptRunAsTheEnginesRunThemIsStillTheMainModule() throws Exception {
        // multiprocessing's spawn children import the main module from its file, and pickle what it defines by name.
        write("pool.py", """
                import multiprocessing, pickle
                def twice(x):
                    return 2 * x
                class Thing:
                    pass
                if __name__ == "__main__":
                    with multiprocessing.get_context("spawn").Pool(2) as pool:
                        print("pool", pool.map(twice, [1, 2, 3]))
                    print("pickled", pickle.loads(pickle.dumps(Thing())).__class__.__name__, __file__)
                """);
        PythonProcess p = start("-m", java.util.Map.of(), "cohort_run", "pool.py");

        assertThat(p.awaitExit(RUN_WITHIN)).as(p.describe()).isZero();
        assertThat(p.out()).contains("pool [2, 4, 6]", "pickled Thing pool.py");
    }

    @Test
    void networkExampleWorkersConnectToTheMasterIpAndGetAReply() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // The reference's example, with the free port for 6000 and each worker's connection accepted
        // in turn (the documented one accepts once and serves the same connection twice).
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
                # Launch two CDSW workers. These are engines that will run in
                # the same project, run a given code or script, and exit.
                workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, script="worker.py")
                # Listen on TCP port PORT
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", PORT))
                s.listen(2)
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
