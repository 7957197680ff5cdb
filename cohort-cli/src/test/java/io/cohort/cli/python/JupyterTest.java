package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * In a Jupyter kernel (Debian's ipykernel, driven with jupyter_client as a notebook front end would),
 * a cell that launches and awaits a worker gets the worker's output as stream messages of that cell;
 * and when the kernel shuts down, its session and workers end.
 */
class JupyterTest extends PythonSessions {

    @Test
    void workerOutputArrivesAsStreamMessagesOfTheCellThatAwaitedIt() throws Exception {
        PythonProcess p = run("notebook.py", """
                import json, os, sys
                from jupyter_client.manager import start_new_kernel
                from jupyter_client.kernelspec import KernelSpecManager
                spec = KernelSpecManager().get_kernel_spec("python3")
                assert spec.argv[0] == sys.executable, spec.argv  # the kernel runs this (Debian's) python3
                km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ), startup_timeout=120)

                def run_cell(code):
                    msg_id = kc.execute(code)
                    streams = []
                    while True:
                        msg = kc.get_iopub_msg(timeout=120)
                        if msg["msg_type"] == "stream":
                            streams.append({"parent": msg["parent_header"].get("msg_id"), "name": msg["content"]["name"],
                                            "text": msg["content"]["text"]})
                        if (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
                                and msg["parent_header"].get("msg_id") == msg_id):
                            break
                    reply = kc.get_shell_msg(timeout=120)
                    assert reply["content"]["status"] == "ok", reply["content"]
                    return msg_id, streams

                _, streams = run_cell("import os, cdsw\\nprint('SESSION', os.environ['CDSW_ENGINE_ID'])")
                print("".join(s["text"] for s in streams), end="")
                msg_id, streams = run_cell(
                    "ws = cdsw.launch_workers(n=1, cpu=0.2, memory=0.25, code=\\"print('hello from the notebook worker')\\")\\n"
                    "r = cdsw.await_workers(ws)\\n"
                    "print('awaited', [w['id'] for w in r['workers']])")
                print("CELL", msg_id)
                for s in streams:
                    print("STREAM", json.dumps(s))
                kc.stop_channels()
                km.shutdown_kernel(now=False)
                print("SHUTDOWN")
                """);

        String out = p.out();
        String cell = match(out, "CELL (\\S+)");
        String session = match(out, "SESSION (\\S+)");
        // The worker's line is in a stream message of the cell that launched and awaited it, before the cell's own print.
        String cellStdout = out.lines().filter(l -> l.startsWith("STREAM {\"parent\": \"" + cell + "\", \"name\": \"stdout\""))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertThat(cellStdout).as("the cell's stdout messages; %s", p.describe()).contains("[w1] hello from the notebook worker\\n");
        assertThat(cellStdout.indexOf("awaited ['w1']")).isGreaterThan(cellStdout.indexOf("[w1] hello from the notebook worker"));
        assertThat(out).contains("SHUTDOWN");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(PythonProcess.processesOf(session)).as("processes of session %s after the kernel's shutdown", session).isEmpty());
    }

    private static String match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in:%n%s", regex, text).isTrue();
        return m.group(1);
    }
}
