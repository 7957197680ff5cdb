"""The Python client through the recorded exchanges (clients/protocol/exchanges, "python" in their
clients). Run by cohort-worker's ClientsReplayTest against a replay server, with COHORT_API,
COHORT_TOKEN and CDSW_ENGINE_ID=w1 set and clients/python on PYTHONPATH. Exits 0 when the client
made every request as recorded and understood every answer."""
import cohort_client as cohort

SEED = 123456789012345678901234567890


def refused(call, status, text):
    try:
        call()
    except cohort.CohortError as e:
        assert f"({status})" in str(e) and text in str(e), str(e)
        return
    raise AssertionError(f"expected a refusal with {status}")


assert cohort.put("params", {"lr": 0.1}) is True
assert cohort.put("params", {"lr": 0.2}, key="lr=0.2") is True
assert cohort.put("params", {"lr": 0.2}, key="lr=0.2") is False
assert cohort.put("params", {"lr": 0.3, "seed": SEED}) is True
refused(lambda: cohort.put("params", {"lr": 0.4}), 409, "queue 'params' is closed")

seen = []
for item in cohort.queue("params"):
    seen.append((item.id, item.attempt))
    if item.id == 1:
        assert item.value == {"lr": 0.1}, item.value
        cohort.results.put("lr=0.1", {"score": 0.93})
        cohort.snapshots.save("model-1", b"weights-1")
    elif item.id == 2:
        cohort.results.put("\u03bb=0.2", {"score": 0.88, "note": "\u00e9\U0001F600"})
    elif item.id == 3:
        assert item.value["seed"] == SEED, item.value
        cohort.results.put("lr=0.3", {"seed": item.value["seed"], "score": 0.91})
assert seen == [(1, 1), (2, 1), (3, 1)], seen

assert cohort.results.get("lr=0.1") == {"score": 0.93}
assert cohort.results.get("nothing") is None
assert cohort.snapshots.read("model-1") == b"weights-1"
workers = cohort.workers()
assert [(w["id"], w["status"], w["ip_address"], w["app_url"]) for w in workers] == \
    [("w1", "running", "10.0.0.1", "http://10.0.0.1:8080/")], workers
cohort.fail("params", 1, "diverged")
refused(lambda: cohort.fail("params", 99, "diverged"), 404, "no item with id 99")
print("scenario passed")
