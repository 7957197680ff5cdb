"""A TF_CONFIG consumer: a chief and two workers read the cluster spec TensorFlow's
MultiWorkerMirroredStrategy reads (without TensorFlow: the recipe checks what it would see).

    bin/cohort python examples/recipes/tf_config.py
"""
import cohort_workers as cohort

WORKER = r'''
import json, os
import cohort_workers as cohort

cohort.rendezvous(timeout_seconds=60)  # sets TF_CONFIG; the file is in $COHORT_GROUP_DIR/tf_config too
tf = json.loads(os.environ["TF_CONFIG"])
with open(os.path.join(os.environ["COHORT_GROUP_DIR"], "tf_config", os.environ["COHORT_WORKER_ID"] + ".json")) as f:
    assert json.load(f) == tf
task = tf["task"]
me = tf["cluster"][task["type"]][task["index"]]
assert me.startswith(os.environ["CDSW_IP_ADDRESS"] + ":"), (me, os.environ["CDSW_IP_ADDRESS"])
print("%s %d of cluster %s" % (task["type"], task["index"], sorted((k, len(v)) for k, v in tf["cluster"].items())))
'''

g = cohort.launch_group("tf", [
    {"role": "chief", "n": 1, "cpu": 0.2, "memory": 0.2, "code": WORKER},
    {"role": "worker", "n": 2, "cpu": 0.2, "memory": 0.2, "code": WORKER},
])
result = g.await_workers(timeout_seconds=120)
assert not result["failures"], result["failures"]
print("TF_CONFIG DONE on", len(result["workers"]), "workers")
