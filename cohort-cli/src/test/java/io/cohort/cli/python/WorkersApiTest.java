package io.cohort.cli.python;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code cml.workers_v1} and {@code cdsw} as scripts written for the reference call them, and the
 * reference's faults, fixed with the same shapes. Each script checks with {@code assert} and ends with
 * a line the test looks for.
 */
class WorkersApiTest extends PythonSessions {

    @Test
    void cmlModuleTakesStringNumbersAnswersInIndexOrderAndAwaitsIdsOrDescriptions() throws Exception {
        PythonProcess p = run("cml_calls.py", """
                import cml.workers_v1 as workers
                ws = workers.launch_workers(n="3", cpu="0.2", memory="0.25", nvidia_gpu="0",
                                            code="import os; print('I am', os.environ['CDSW_ENGINE_ID'])")
                assert [w["id"] for w in ws] == ["w1", "w2", "w3"], ws
                for w in ws:
                    assert w["cpu"] == 0.2 and w["memory"] == 0.25 and w["kernel"] == "python3", w
                    assert set(w) >= {"status", "created_at", "running_at", "finished_at", "duration", "ip_address",
                                      "app_url", "nvidia_gpu", "script", "code", "env"}, sorted(w)
                r = workers.await_workers(ws, wait_for_completion=True, timeout_seconds="60")
                assert [w["id"] for w in r["workers"]] == ["w1", "w2", "w3"] and r["failures"] == [], r
                assert all(w["status"] == "succeeded" and w["exit_code"] == 0 for w in r["workers"]), r
                assert [w["id"] for w in workers.await_workers(ws[1])["workers"]] == ["w2"]
                assert [w["id"] for w in workers.await_workers("w3")["workers"]] == ["w3"]
                assert [w["id"] for w in workers.await_workers(["w1", ws[2]])["workers"]] == ["w1", "w3"]
                assert [w["id"] for w in workers.await_workers(None)["workers"]] == ["w1", "w2", "w3"]
                assert [w["id"] for w in workers.list_workers()] == ["w1", "w2", "w3"]
                print("checked")
                """);

        assertThat(p.out()).contains("[w1] I am w1", "[w2] I am w2", "[w3] I am w3", "checked");
    }

    @Test
    void newerAndUnknownKeywordArgumentsWarnAndAreIgnored() throws Exception {
        PythonProcess p = run("kwargs.py", """
                import warnings, cdsw
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    ws = cdsw.launch_workers(n=1, cpu=0.2, memory=0.25, code="print('ran')", name="trainer",
                                             accelerator_label_id=7, resource_profile_id=None, resource_group_id="x",
                                             colour="blue")
                messages = [str(w.message) for w in caught]
                assert len(messages) == 1, messages
                for word in ("name", "accelerator_label_id", "resource_profile_id", "resource_group_id", "colour"):
                    assert word in messages[0], messages
                assert cdsw.await_workers(ws)["failures"] == []
                print("warned:", messages[0])
                """);

        assertThat(p.out()).contains("[w1] ran", "warned: launch_workers ignores");
    }

    @Test
    void aScriptInAnotherLanguageRunsInItsOwnKernelWhenTheKernelIsLeftAtItsDefault() throws Exception {
        PythonProcess p = run("kernels.py", """
                import cdsw
                open("hello.sh", "w").write("echo from the shell $CDSW_ENGINE_ID\\n")
                ws = cdsw.launch_workers(1, 0.2, 0.25, script="hello.sh")
                assert ws[0]["kernel"] == "shell" and ws[0]["script"] == "hello.sh", ws
                assert cdsw.await_workers(ws)["failures"] == []
                forced = cdsw.launch_workers(1, 0.2, 0.25, kernel="shell", code="echo forced")
                assert forced[0]["kernel"] == "shell", forced
                assert cdsw.await_workers(forced)["failures"] == []
                print("kernels checked")
                """);

        assertThat(p.out()).contains("[w1] from the shell w1", "[w2] forced", "kernels checked");
    }

    @Test
    void shellLinesAnywhereInWorkerCodeAnEmptyListAndAnEndlessTimeout() throws Exception {
        PythonProcess p = run("edges.py", """
                import cdsw
                mixed = cdsw.launch_workers(1, 0.2, 0.25, code="!echo from the shell\\nimport os\\nprint('and python', os.environ['CDSW_ENGINE_ID'])")
                shells = cdsw.launch_workers(1, 0.2, 0.25, code="!echo a\\n!echo b")
                assert mixed[0]["kernel"] == "python3", mixed
                r = cdsw.await_workers(mixed + shells, timeout_seconds=float("inf"))
                assert r["failures"] == [] and len(r["workers"]) == 2, r
                assert cdsw.await_workers([]) == {"workers": [], "failures": []}
                print("edges checked")
                """);

        assertThat(p.out()).contains("[w1] from the shell", "[w1] and python w1", "[w2] a", "[w2] b", "edges checked");
    }

    @Test
    void timeoutZeroWaitsWithoutLimitAndAShortTimeoutReportsFailures() throws Exception {
        PythonProcess p = run("timeouts.py", """
                import cdsw
                quick = cdsw.launch_workers(1, 0.2, 0.25, code="import time; time.sleep(1.5); print('slept')")
                r = cdsw.await_workers(quick, timeout_seconds=0)
                assert [w["id"] for w in r["workers"]] == ["w1"] and r["failures"] == [], r
                slow = cdsw.launch_workers(1, 0.2, 0.25, code="!sleep 600")
                running = cdsw.await_workers(slow, wait_for_completion=False, timeout_seconds=60)
                assert [w["status"] for w in running["workers"]] == ["running"], running
                r = cdsw.await_workers(slow, timeout_seconds="0.5")
                assert r["workers"] == [] and [w["id"] for w in r["failures"]] == ["w2"], r
                assert r["failures"][0]["status"] == "running", r
                cdsw.stop_workers(slow)
                print("timeouts checked")
                """);

        assertThat(p.out()).contains("[w1] slept", "timeouts checked", "[w2] -- stopped");
    }

    @Test
    void stopWorkersTakesIdsOrDescriptionsAndAnswersResponsesThatAreDescriptions() throws Exception {
        PythonProcess p = run("stop.py", """
                import cdsw
                ws = cdsw.launch_workers(n=3, cpu=0.2, memory=0.25, code="!sleep 600")
                cdsw.await_workers(ws, wait_for_completion=False)
                done = cdsw.launch_workers(n=1, cpu=0.2, memory=0.25, code="print('quick')")
                cdsw.await_workers(done)
                responses = cdsw.stop_workers(ws[0], "w2")
                assert [r.status_code for r in responses] == [200, 200], responses
                assert [r["id"] for r in responses] == ["w1", "w2"], responses
                assert [r.json()["status"] for r in responses] == ["stopped", "stopped"], responses
                assert all(r.ok and "id" in r for r in responses)
                rest = cdsw.stop_workers()
                assert [(r.status_code, r["id"], r["status"]) for r in rest] == [
                    (200, "w1", "stopped"), (200, "w2", "stopped"), (200, "w3", "stopped"), (200, "w4", "succeeded")], rest
                print("stopped", [r["id"] for r in rest])
                """);

        assertThat(p.out()).contains("[w1] -- stopped", "[w3] -- stopped", "stopped ['w1', 'w2', 'w3', 'w4']");
    }

    @Test
    void refusedLaunchesRaisePythonExceptionsNamingTheField() throws Exception {
        PythonProcess p = run("refused.py", """
                import cdsw, cohort_workers
                def refusal(**kwargs):
                    args = dict(n=1, cpu=0.2, memory=0.25, code="print(1)")
                    args.update(kwargs)
                    try:
                        cdsw.launch_workers(**args)
                    except Exception as e:
                        return e
                    raise AssertionError("launched: %r" % (kwargs,))
                for kwargs, words, kind in (({"cpu": -1}, ["cpu"], ValueError), ({"kernel": "cobol"}, ["kernel", "cobol"], ValueError),
                                            ({"n": "many"}, ["n"], ValueError),
                                            ({"script": "missing.py", "code": ""}, ["missing.py"], RuntimeError)):
                    e = refusal(**kwargs)
                    message = str(e)
                    assert isinstance(e, kind) and isinstance(e, cdsw.CohortError), (type(e), message)
                    for word in words:
                        assert word in message, message
                    for noise in ("HTTP", "/v1/", "Traceback", "{"):
                        assert noise not in message, message
                    print("refused:", type(e).__name__, message)
                assert cdsw.list_workers() == [], cdsw.list_workers()
                """);

        assertThat(p.out()).contains("refused: CohortInputError", "refused: CohortError");
    }

    @Test
    void theSessionIsAnEngineWithTheReferencesVariables() throws Exception {
        PythonProcess p = run("engine.py", """
                import os, re, cdsw
                at_import = {k: v for k, v in os.environ.items() if k.startswith("CDSW_")}
                for name in ("CDSW_ENGINE_ID", "CDSW_APP_PORT", "CDSW_READONLY_PORT", "CDSW_PUBLIC_PORT", "CDSW_DOMAIN",
                             "CDSW_PROJECT", "CDSW_CREATOR", "CDSW_ENGINE_TYPE", "CDSW_IP_ADDRESS"):
                    assert at_import.get(name), (name, at_import)
                assert re.fullmatch("[a-km-z2-9]{8}", at_import["CDSW_ENGINE_ID"]), at_import
                import cohort_workers
                info = cohort_workers.session_info()
                assert info["id"] == at_import["CDSW_ENGINE_ID"] == os.environ["CDSW_ENGINE_ID"], (info, at_import)
                ws = cdsw.launch_workers(1, 0.2, 0.25, code="import os; print('master', os.environ['CDSW_MASTER_ID'])")
                cdsw.await_workers(ws)
                print("session", info["id"])
                """);

        String id = p.out().replaceAll("(?s).*session (\\S+).*", "$1");
        assertThat(p.out()).contains("[w1] master " + id);
    }
}
