"""cohort's worker client for Python: queues, results and snapshots over the session's HTTP API.

Standard library only. Inside a worker it is importable as ``cohort_client`` (the session puts it on
PYTHONPATH) and reads COHORT_API, COHORT_TOKEN and CDSW_ENGINE_ID from the environment, and
COHORT_TLS_PIN when the session speaks TLS to its workers (COHORT_API is then https://): the only
certificate it trusts is the session's own, named by that pin.
``cohort.workers()`` lists the session's workers with their addresses, so workers can find each other.

    import cohort_client as cohort
    for item in cohort.queue("params"):           # ends when the queue is closed and empty
        score = train(item.value)
        cohort.results.put(f"lr={item.value['lr']}", {"score": score})
        cohort.snapshots.save(f"model-{item.id}", "model.bin")

An item is acknowledged when the loop asks for the next one. If an exception escapes the loop, the
item being worked on is failed with its traceback (it is retried, or dead-lettered after too many
attempts) and the worker ends; ``cohort.for_each(name, fn)`` fails the item and goes on instead.
"""
import hashlib
import hmac
import http.client
import json
import os
import ssl
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["queue", "for_each", "put", "fail", "results", "snapshots", "workers", "Item", "CohortError"]


class CohortError(Exception):
    """The session refused a request; the message says why."""


class Item:
    """One work item: its id, which attempt this is (from 1), and its value (parsed JSON)."""

    def __init__(self, id, attempt, value):
        self.id = id
        self.attempt = attempt
        self.value = value

    def __repr__(self):
        return f"Item(id={self.id}, attempt={self.attempt}, value={self.value!r})"


_current = None  # (queue name, item id) while a loop body runs
_heartbeat = None
# The session is on loopback or the cluster's own network: never send its token through a proxy.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_pinned_openers = {}
_NO_BODY = object()


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS that trusts exactly one certificate: the session's, named by its pin ("sha256:" and the
    hex SHA-256 of its DER bytes, as COHORT_TLS_PIN gives it). No authority and no name are checked:
    any other certificate is refused before the request (and its token) is sent."""

    def __init__(self, host, port=None, pin=None, **kwargs):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin below is the check
        super().__init__(host, port, context=context, **kwargs)
        self.pin = (pin or "").strip().lower()

    def connect(self):
        super().connect()
        der = self.sock.getpeercert(binary_form=True) or b""
        got = "sha256:" + hashlib.sha256(der).hexdigest()
        if not hmac.compare_digest(got, self.pin):
            self.sock.close()
            self.sock = None
            raise CohortError("the server at %s:%s is not the session: its certificate's pin is %s, COHORT_TLS_PIN is %s"
                              % (self.host, self.port, got, self.pin))


class _PinnedHandler(urllib.request.HTTPSHandler):
    def __init__(self, pin):
        super().__init__()
        self.pin = pin

    def https_open(self, req):
        return self.do_open(lambda host, **kw: PinnedHTTPSConnection(host, pin=self.pin, **kw), req)


def check_pin(url, pin):
    """Refuses an https:// URL without a pin, and a pin with a plain http:// URL."""
    if url.startswith("https://") and not pin:
        raise CohortError("COHORT_API is %s but COHORT_TLS_PIN is not set: the session's certificate is trusted only "
                          "by its pin, which the session gives each worker" % url)
    if pin and not url.startswith("https://"):
        raise CohortError("COHORT_TLS_PIN is set, so COHORT_API must be https://, got %s: a worker given a pin never "
                          "sends its credential in plain text" % url)


def _opener_for(url):
    pin = os.environ.get("COHORT_TLS_PIN", "").strip()
    check_pin(url, pin)
    if not pin:
        return _opener
    opener = _pinned_openers.get(pin)
    if opener is None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _PinnedHandler(pin))
        _pinned_openers[pin] = opener
    return opener


def _path(*parts):
    return "/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)


def _key_path(key):
    # Any key (a URL, say) travels as a query parameter.
    return "/v1/results?key=" + urllib.parse.quote(key, safe="")


def _call(method, path, body=_NO_BODY, item=None, timeout=90, raw=False):
    try:
        url = os.environ["COHORT_API"] + path
        token = os.environ["COHORT_TOKEN"]
    except KeyError:
        raise CohortError("COHORT_API and COHORT_TOKEN are not set: this is not running inside a cohort worker") from None
    data = None if body is _NO_BODY else (body if raw else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("X-Cohort-Worker", os.environ.get("CDSW_ENGINE_ID", "client"))
    if item is not None:
        req.add_header("X-Cohort-Item", str(item))
    if data is not None:
        req.add_header("Content-Type", "application/octet-stream" if raw else "application/json")
    try:
        with _opener_for(url).open(req, timeout=timeout) as r:
            payload = r.read()
    except urllib.error.HTTPError as e:
        message = e.read().decode(errors="replace")
        try:
            message = json.loads(message)["error"]
        except (ValueError, KeyError, TypeError):
            pass
        raise CohortError(f"the session refused {method} {path} ({e.code}): {message}") from None
    if raw:
        return payload
    return json.loads(payload) if payload else None


def _start_heartbeat(lease_ms=30000):
    """A heartbeat every 5 s, or a third of the queue's lease when that is shorter."""
    global _heartbeat
    if _heartbeat is not None:
        return
    configured = os.environ.get("COHORT_HEARTBEAT_MS")
    every = (int(configured) if configured else max(50, min(5000, lease_ms // 3))) / 1000.0

    def beat():
        while True:
            time.sleep(every)
            try:
                _call("POST", "/v1/heartbeat", {}, timeout=30)
            except Exception:
                pass  # missed one; the lease outlasts a few

    _heartbeat = threading.Thread(target=beat, name="cohort-heartbeat", daemon=True)
    _heartbeat.start()


def _leases(name, batch, async_ack=False):
    """Yields (item, done) for every leased item; call done() when it is finished, and it is
    acknowledged with the next take. With async_ack, that take's answer does not wait for the
    acknowledgement to be stored ("ack_wait": false); the answer that ends the loop ("done") does."""
    path = _path("v1", "queues", name)
    finished = []
    while True:
        body = {"max": batch, "wait_ms": 30000, "ack": finished}
        if async_ack:
            body["ack_wait"] = False
        r = _call("POST", path + "/take", body)
        _start_heartbeat(r.get("lease_ms", 30000))
        finished = []
        for raw in r["items"]:
            yield Item(raw["id"], raw["attempt"], raw["value"]), finished.append
        if r["done"]:
            return


def queue(name, batch=1, async_ack=False):
    """Yields the queue's items until it is closed and empty, taking up to `batch` per request.
    async_ack=True: the next item does not wait for the last one's acknowledgement to be stored
    (faster for short items; a crash of the session may then redo an item whose acknowledgement was
    not stored yet; the loop ends only once every acknowledgement is stored)."""
    global _current
    for item, done in _leases(name, batch, async_ack):
        _current = (name, item.id)
        yield item
        _current = None
        done(item.id)


def for_each(name, fn, batch=1, async_ack=False):
    """Calls fn(item) for every item; an exception fails that item with its traceback, and the loop goes on.
    async_ack as for queue()."""
    global _current
    for item, done in _leases(name, batch, async_ack):
        _current = (name, item.id)
        try:
            fn(item)
            done(item.id)
        except Exception:
            fail(name, item.id, traceback.format_exc())
        finally:
            _current = None


def put(name, value, key=None):
    """Adds an item to a queue; with a key, only if no item with that key was ever added. Returns True if added."""
    body = {"items": [value]}
    if key is not None:
        body["keys"] = [key]
    return _call("POST", _path("v1", "queues", name) + "/items", body)["added"] == 1


def fail(name, item_id, error):
    """Marks an item failed: it is tried again, or dead-lettered after too many attempts."""
    _call("POST", _path("v1", "queues", name) + "/fail", {"id": item_id, "error": str(error)[:4000]})


class _Results:
    """Results: a JSON value per key; storing a key again replaces it."""

    def put(self, key, value):
        _call("PUT", _key_path(key), value, item=_current[1] if _current else None)

    def get(self, key):
        try:
            return _call("GET", _key_path(key))
        except CohortError as e:
            if "(404)" in str(e):
                return None
            raise


class _Snapshots:
    """Snapshots: named binary files kept by the session."""

    def save(self, name, data):
        """Saves bytes, or the file at a path, under a name."""
        if isinstance(data, (str, os.PathLike)):
            with open(data, "rb") as f:
                data = f.read()
        _call("PUT", _path("v1", "snapshots", name), data, item=_current[1] if _current else None, raw=True, timeout=600)

    def read(self, name):
        return _call("GET", _path("v1", "snapshots", name), raw=True, timeout=600)


results = _Results()
snapshots = _Snapshots()


def workers():
    """Every worker of the session, this one included, running and ended, in launch order: dicts with
    id, status, kernel, ip_address, app_url, cpu, memory, nvidia_gpu, created_at, running_at,
    finished_at, exit_code and reason. Workers find each other's addresses here."""
    return _call("GET", "/v1/workers")


def _fail_current_on_crash(kind, value, tb):
    if _current is not None:
        try:
            fail(_current[0], _current[1], "".join(traceback.format_exception(kind, value, tb)))
        except Exception:
            pass  # the session is gone; the item comes back when the worker's end is seen
    _previous_hook(kind, value, tb)


_previous_hook = sys.excepthook
sys.excepthook = _fail_current_on_crash
