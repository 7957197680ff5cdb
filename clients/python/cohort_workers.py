"""The reference's "workers" API for Python sessions: launch, list, await and stop cohort workers.

Standard library only. ``cdsw`` and ``cml.workers_v1`` re-export these functions, so scripts written
for the reference run unchanged:

    import cdsw
    workers = cdsw.launch_workers(n=2, cpu=0.2, memory=0.5, code="print('Hello from a CDSW Worker')")
    cdsw.await_workers(workers, wait_for_completion=True)

The first call finds its session, in this order:

1. inside a worker (``COHORT_API`` and ``COHORT_TOKEN`` set): the worker's own session, so a worker
   lists its peers; it prints no output and never closes the session;
2. ``COHORT_SESSION``: a running session, named by its connection file, its directory or its id
   (looked up under ``COHORT_HOME``, else ``~/.cohort/sessions``); its workers' output is printed
   here from then on; the session is not closed at exit;
3. otherwise it starts one: ``cohort serve --stdin --print-connection --id ID`` as a child process.
   The command is ``COHORT_COMMAND`` (a command line), else ``cohort`` on ``PATH``, else the
   ``bin/cohort`` of the source tree this file is in. The child's standard input is a pipe only this
   process holds, so the session (and every worker) ends when this process ends, however it ends;
   at normal exit the session is closed, after the last output is printed.

Worker output is printed as ``[w1] text`` on ``sys.stdout`` (``sys.stderr`` for the worker's stderr),
looked up at each line, so in Jupyter it lands in the running cell. Status changes print as
``[w1] -- succeeded in 0.31 s``. ``launch_workers``, ``await_workers`` and ``stop_workers`` return
only once every line and status change that happened before their answer has been printed (bounded
by 2 s), so a worker's last lines come before ``await_workers`` returns.

Errors: a launch the session refuses raises ``CohortInputError`` (a ``ValueError``) for bad input
(400: the message names the field and the accepted values) or ``CohortError`` (a ``RuntimeError``)
when it cannot run now (409: not enough CPU or memory, no such script, code that does not parse, the
session is closing). ``CohortInputError`` is a ``CohortError`` too.

Differences from the reference's own module (its faults, fixed; the shapes are kept):
``timeout_seconds=0`` waits without limit; launches return in index order; a worker that could not
start is a description with ``status`` "failed" and a ``reason``; ``stop_workers`` takes ids or
descriptions and returns, per worker, a response-like object (``status_code`` 200) that is also the
worker's description; awaits wake on the state change itself instead of polling.
"""
import atexit
import getpass
import http.client
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings

__all__ = ["launch_workers", "list_workers", "await_workers", "stop_workers", "StopResponse",
           "CohortError", "CohortInputError", "session_info", "close_session"]

# Keyword arguments newer releases of the reference accept; they mean nothing here.
_IGNORED_KEYWORDS = ("name", "accelerator_label_id", "resource_profile_id", "resource_group_id")
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_PRINT_WAIT_SECONDS = 2.0
# Script extensions whose kernel is not python3 (the session picks it from the extension).
_OTHER_KERNELS = (".r", ".sh", ".java", ".jsh")


class CohortError(RuntimeError):
    """The session refused a request, or cannot be reached or started; the message says why."""


class CohortInputError(CohortError, ValueError):
    """The session refused an argument (HTTP 400, or no such worker): the message names it."""


class StopResponse(dict):
    """What ``stop_workers`` returns per worker: the worker's description (a dict, as ``list_workers``
    gives) that also reads like the reference's HTTP response: ``status_code`` (200: the worker has
    ended, stopped now or before), ``ok``, ``json()`` and ``text``."""

    status_code = 200
    reason = "OK"
    ok = True

    def json(self):
        return dict(self)

    @property
    def text(self):
        return json.dumps(self)

    @property
    def content(self):
        return self.text.encode()

    def raise_for_status(self):
        return None

    def __repr__(self):
        return "<StopResponse [%d] %s %s>" % (self.status_code, self.get("id"), self.get("status"))


def _inside_worker():
    return bool(os.environ.get("COHORT_API") and os.environ.get("COHORT_TOKEN"))


def _new_session_id():
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def _user():
    try:
        return getpass.getuser()
    except Exception:
        return "user"


# The session is an engine too: its CDSW_* variables exist from import on, as scripts read them
# early. After the session starts, the values it reports (GET /v1/session's engine_env) replace them.
_SESSION_ID = _new_session_id()
if not _inside_worker():
    for _name, _value in (("CDSW_ENGINE_ID", _SESSION_ID), ("CDSW_APP_PORT", "8080"), ("CDSW_READONLY_PORT", "8000"),
                          ("CDSW_PUBLIC_PORT", "8100"), ("CDSW_DOMAIN", "localhost"),
                          ("CDSW_PROJECT", os.path.basename(os.getcwd()) or "project"), ("CDSW_CREATOR", _user()),
                          ("CDSW_ENGINE_TYPE", "console"), ("CDSW_IP_ADDRESS", "127.0.0.1")):
        os.environ.setdefault(_name, _value)


def _cohort_command():
    """The command line that starts a session, without its arguments."""
    configured = os.environ.get("COHORT_COMMAND", "").strip()
    if configured:
        return shlex.split(configured)
    found = shutil.which("cohort")
    if found:
        return [found]
    source_tree = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bin", "cohort")
    if os.path.isfile(source_tree):
        return [os.path.normpath(source_tree)]
    raise CohortError("cannot start a cohort session: no 'cohort' command was found. Put cohort's bin/ directory on "
                      "PATH, or set COHORT_COMMAND to the command line that runs it (e.g. "
                      "COHORT_COMMAND='java -jar /path/to/cohort.jar'), or attach to a running session with "
                      "COHORT_SESSION=<its id, directory or connection file>")


def _connection_file(named):
    """The connection file COHORT_SESSION names: a file, a session directory, or a session id."""
    if os.path.isfile(named):
        return named
    if os.path.isdir(named):
        return os.path.join(named, "connection.json")
    home = os.environ.get("COHORT_HOME") or os.path.join(os.path.expanduser("~"), ".cohort", "sessions")
    return os.path.join(home, named, "connection.json")


def _read_connection(named):
    path = _connection_file(named)
    try:
        with open(path) as f:
            connection = json.load(f)
    except FileNotFoundError:
        if os.path.isdir(os.path.dirname(path)):
            raise CohortError("COHORT_SESSION=%s: session %s has ended (it has no connection file any more); start "
                              "one with 'cohort serve', or unset COHORT_SESSION to start one here"
                              % (named, os.path.basename(os.path.dirname(os.path.abspath(path))))) from None
        raise CohortError("COHORT_SESSION=%s: no session there (%s does not exist); start one with "
                          "'cohort serve', or unset COHORT_SESSION to start one here" % (named, path)) from None
    except (OSError, ValueError) as e:
        raise CohortError("COHORT_SESSION=%s: cannot read %s: %s" % (named, path, e)) from None
    pid = connection.get("pid")
    if pid is not None and not _alive(int(pid)):
        raise CohortError("session %s has ended (its process %s is gone); start one with 'cohort serve', or unset "
                          "COHORT_SESSION to start one here" % (connection.get("id"), pid))
    return connection


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class _Session:
    """One connection to a session: the requests, and (where this process shows output) the thread
    that follows its events and prints them."""

    def __init__(self, url, token, kind, process=None):
        parsed = urllib.parse.urlsplit(url)
        self.url = url
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.token = token
        self.kind = kind  # "started", "attached" (COHORT_SESSION) or "worker"
        self.process = process
        self.pid = os.getpid()
        self.local = threading.local()
        self.printed = 0  # the id of the newest event handled by the printer
        self.printed_changed = threading.Condition()
        self.closing = False
        self.statuses = {}
        self.printer = None

    # -- requests --------------------------------------------------------------------------------

    def _connection(self, timeout):
        c = getattr(self.local, "connection", None)
        if c is None:
            c = self._new_connection(timeout)
            self.local.connection = c
            self.local.fresh = True
        c.timeout = timeout
        if c.sock is not None:
            c.sock.settimeout(timeout)
        return c

    def request(self, method, path, body=None, timeout=90.0):
        """Sends a request; answers (value, event id). Raises CohortError for refusals."""
        data = None if body is None else json.dumps(body, default=str).encode()
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.kind == "worker" and os.environ.get("CDSW_ENGINE_ID"):
            headers["X-Cohort-Worker"] = os.environ["CDSW_ENGINE_ID"]
        for attempt in (1, 2):
            c = self._connection(timeout)
            reused = not getattr(self.local, "fresh", True)
            try:
                c.request(method, path, body=data, headers=headers)
                response = c.getresponse()
                payload = response.read()
                self.local.fresh = False
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A kept-alive connection the session closed meanwhile: once more on a new one.
                self._drop(c)
                if attempt == 2 or not reused:
                    raise self._gone(e) from None
            except (OSError, http.client.HTTPException) as e:
                self._drop(c)
                raise self._gone(e) from None
            except BaseException:
                self._drop(c)  # interrupted (Ctrl-C) half way: the next call starts on a clean connection
                raise
        if response.getheader("Connection", "").lower() == "close":
            self._drop(c)
        event = int(response.getheader("X-Cohort-Event") or 0)
        if response.status >= 400:
            message = payload.decode(errors="replace")
            try:
                message = json.loads(message)["error"]
            except (ValueError, KeyError, TypeError):
                message = "%s %s answered %d: %s" % (method, path, response.status, message.strip()[:500])
            raise (CohortInputError if response.status in (400, 404) else CohortError)(message)
        return (json.loads(payload) if payload else None), event

    def _new_connection(self, timeout):
        """Plain HTTP, or (a worker whose session speaks TLS) HTTPS trusting only COHORT_TLS_PIN's certificate."""
        pin = os.environ.get("COHORT_TLS_PIN", "").strip() if self.kind in ("worker", "forked") else ""
        if self.url.startswith("https://") or pin:
            import cohort_client  # next to this file in every worker's clients/python
            cohort_client.check_pin(self.url, pin)
            return cohort_client.PinnedHTTPSConnection(self.host, self.port, pin=pin, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _drop(self, connection):
        connection.close()
        self.local.connection = None

    def _gone(self, error):
        if self.process is not None and self.process.poll() is not None:
            return CohortError("the session has ended: 'cohort serve' exited with code %d (its messages are above)"
                               % self.process.returncode)
        return CohortError("cannot reach the session at %s: %s" % (self.url, error))

    # -- output ----------------------------------------------------------------------------------

    @property
    def prints(self):
        return self.kind != "worker"

    def start_printer(self, after):
        self.printed = after
        self.printer = threading.Thread(target=self._follow_events, args=(after,), name="cohort-output", daemon=True)
        self.printer.start()

    def wait_printed(self, event, seconds=_PRINT_WAIT_SECONDS):
        """Waits (bounded) until the printer has handled every event up to `event`."""
        if not self.prints or self.printer is None or not event:
            return
        deadline = time.monotonic() + seconds
        with self.printed_changed:
            while self.printed < event and self.printer.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.printed_changed.wait(left)

    def _handled(self, event_id):
        with self.printed_changed:
            if event_id > self.printed:
                self.printed = event_id
            self.printed_changed.notify_all()

    def _follow_events(self, after):
        last = after
        while True:
            c = self._new_connection(60)
            try:
                c.request("GET", "/v1/events?after=%d" % last,
                          headers={"Authorization": "Bearer " + self.token, "Accept": "text/event-stream",
                                   "Last-Event-ID": str(last)})
                response = c.getresponse()
                if response.status != 200:
                    _print(sys.stderr, "cohort: the session's events answered %d: %s; worker output is not shown"
                           % (response.status, response.read(500).decode(errors="replace")))
                    return
                for kind, event_id, data in _server_sent_events(response):
                    if kind == "closed":
                        self._handled(event_id or last)
                        return
                    self._show(kind, data)
                    if event_id:
                        last = event_id
                        self._handled(event_id)
            except (OSError, http.client.HTTPException, ValueError):
                pass
            finally:
                c.close()
            if self.closing or (self.process is not None and self.process.poll() is not None):
                self._handled(1 << 62)
                return
            time.sleep(0.2)  # the session dropped the stream (or timed out): follow it again

    def _show(self, kind, data):
        if kind == "output":
            worker = data.get("worker")
            err = data.get("stream") == "err"
            _print(sys.stderr if err else sys.stdout, "[%s] %s" % (worker, data.get("text", "")))
        elif kind == "worker":
            line = _status_line(data)
            key = (data.get("status"), data.get("reason"))
            if line is not None and self.statuses.get(data.get("id")) != key:
                self.statuses[data.get("id")] = key
                _print(sys.stdout, line)
        elif kind == "gap":
            _print(sys.stderr, "cohort: events %s to %s were dropped before they could be shown; "
                               "read the workers' output with their /output" % (data.get("from"), data.get("to")))

    # -- the end -----------------------------------------------------------------------------------

    def close(self):
        """Closes a session this process started: its workers are stopped, their last lines printed."""
        if self.kind != "started" or self.closing or os.getpid() != self.pid:
            return
        self.closing = True
        try:
            self.request("POST", "/v1/session/close", {}, timeout=10)
        except CohortError:
            pass
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        if self.printer is not None:
            self.printer.join(5)
        if getattr(self.local, "connection", None) is not None:
            self.local.connection.close()
        try:
            self.process.stdin.close()  # end of file: the session ends, if it had not
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        _flush(sys.stdout)
        _flush(sys.stderr)


def _status_line(w):
    wid, status, reason = w.get("id"), w.get("status"), w.get("reason")
    if status == "scheduling" and reason:
        return "[%s] -- waiting: %s" % (wid, reason)
    if status == "running":
        return "[%s] -- running on %s (pid %s)" % (wid, w.get("ip_address"), w.get("pid"))
    if status == "succeeded":
        return "[%s] -- succeeded in %.2f s" % (wid, w.get("duration") or 0.0)
    if status == "failed":
        code = w.get("exit_code")
        return "[%s] -- failed%s: %s" % (wid, "" if code is None else " with exit code %s" % code, reason)
    if status == "stopped":
        return "[%s] -- stopped: %s" % (wid, reason)
    return None


def _print(stream, line):
    try:
        stream.write(line + "\n")
        stream.flush()
    except Exception:
        pass  # a closed console must not end the printer


def _flush(stream):
    try:
        stream.flush()
    except Exception:
        pass


def _server_sent_events(response):
    """Yields (event, id, data) for each event of a text/event-stream."""
    kind, event_id, data = None, None, []
    while True:
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if kind is not None or data:
                yield kind or "message", event_id, json.loads("\n".join(data)) if data else {}
            kind, event_id, data = None, None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                kind = value
            elif field == "id":
                event_id = int(value)
            elif field == "data":
                data.append(value)


_lock = threading.Lock()
_session = None
_started_once = False


def _current():
    """The session, found or started on first use."""
    global _session
    with _lock:
        if _session is not None and _session.pid != os.getpid():
            # A forked child: it uses its parent's session as a client, and leaves it to the parent.
            _session = _Session(_session.url, _session.token, "worker" if _session.kind == "worker" else "forked")
        if _session is None:
            _session = _open()
        return _session


def _open():
    if _inside_worker():
        return _Session(os.environ["COHORT_API"], os.environ["COHORT_TOKEN"], "worker")
    named = os.environ.get("COHORT_SESSION", "").strip()
    if named:
        connection = _read_connection(named)
        session = _Session(connection["url"], connection["token"], "attached")
    else:
        session = _start()
    info, event = session.request("GET", "/v1/session")
    os.environ.update({k: str(v) for k, v in (info.get("engine_env") or {}).items()})
    session.start_printer(0 if session.kind == "started" else event)
    return session


def _start():
    global _SESSION_ID, _started_once
    if _started_once:  # a session closed with close_session(): the next one gets an id of its own
        _SESSION_ID = _new_session_id()
    _started_once = True
    command = _cohort_command() + ["serve", "--stdin", "--print-connection", "--id", _SESSION_ID]
    env = dict(os.environ, COHORT_CONSOLE="off")
    try:
        # A session of its own: Ctrl-C in a terminal (or a notebook's interrupt, sent to the kernel's
        # process group) interrupts the Python code, not the session; the stdin pipe still ties the
        # session's life to this process.
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                   start_new_session=True)
    except OSError as e:
        raise CohortError("cannot start a cohort session with %s: %s (set COHORT_COMMAND to the command that runs "
                          "cohort)" % (shlex.join(command), e)) from None
    while True:
        line = process.stdout.readline()
        if not line:
            code = process.wait()
            raise CohortError("cannot start a cohort session: '%s' exited with code %s before it was ready (its "
                              "messages are above)" % (shlex.join(command), code))
        try:
            connection = json.loads(line)
            if isinstance(connection, dict) and "url" in connection and "token" in connection:
                break
        except ValueError:
            pass
        _print(sys.stdout, line.decode(errors="replace").rstrip("\n"))
    threading.Thread(target=_forward, args=(process.stdout,), name="cohort-serve-stdout", daemon=True).start()
    session = _Session(connection["url"], connection["token"], "started", process)
    atexit.register(session.close)
    return session


def _forward(stream):
    with stream:
        for line in iter(stream.readline, b""):
            _print(sys.stdout, line.decode(errors="replace").rstrip("\n"))


# -- the API -----------------------------------------------------------------------------------------

def _ids(args):
    """Worker ids from ids, descriptions, responses, or (nested) lists of them."""
    ids = []
    for a in args:
        if a is None:
            continue
        if isinstance(a, str):
            if a:
                ids.append(a)
        elif isinstance(a, dict):
            if a.get("id"):
                ids.append(str(a["id"]))
        elif isinstance(a, (list, tuple, set)):
            ids.extend(_ids(a))
        else:
            raise TypeError("a worker is given by its id (a string) or its description (a dict), not %r" % (a,))
    return ids


def launch_workers(n, cpu, memory, nvidia_gpu=0, kernel="python3", script="", code="", env=None, group=None, role=None,
                   service=None, **kwargs):
    """Launches n workers; returns their descriptions (dicts), in index order.

    n: how many; cpu: cores each (fractions allowed); memory: GB each; nvidia_gpu: whole GPUs each;
    kernel: "python3" (default), "r", "java", "jshell" or "shell"; script: a file to run (relative to
    the working directory; with the default kernel, a .R, .sh, .java or .jsh script runs in its own); code: source to run when script is empty ("!cmd" is a shell command);
    env: extra environment variables. Numbers may be strings ("0.5").
    cohort's own: group: a name for this launch's group (docs/groups.md; else it is "launch-K");
    role: its role in that group ("worker"); service: the workers are services, ready when
    {"port": P}, {"port": P, "path": "/health"} or {"line": "regex"} passes. The reference's newer keyword
    arguments (name, accelerator_label_id, resource_profile_id, resource_group_id) and any other are
    accepted and ignored, with a warning.

    A worker that could not start comes back with status "failed" and its reason. A launch the session
    refuses starts nothing and raises CohortInputError (a ValueError: a bad argument, named) or
    CohortError (it cannot run now: resources, a missing script, code that does not parse).
    """
    if kwargs:
        known = [k for k in kwargs if k in _IGNORED_KEYWORDS]
        unknown = [k for k in kwargs if k not in _IGNORED_KEYWORDS]
        parts = []
        if known:
            parts.append("%s (newer releases' option%s, which mean%s nothing here)"
                         % (", ".join(known), "s" if len(known) > 1 else "", "" if len(known) > 1 else "s"))
        if unknown:
            parts.append("%s (unknown)" % ", ".join(unknown))
        warnings.warn("launch_workers ignores " + "; ".join(parts), stacklevel=2)
    body = _launch_body(n, cpu, memory, nvidia_gpu, kernel, script, code, env, service)
    if group:
        body["group"] = group
        body["role"] = role or "worker"
    session = _current()
    workers, event = session.request("POST", "/v1/workers", body)
    session.wait_printed(event)
    return workers


def _launch_body(n, cpu, memory, nvidia_gpu=0, kernel="python3", script="", code="", env=None, service=None):
    if script and (kernel or "python3") == "python3" and os.path.splitext(str(script))[1].lower() in _OTHER_KERNELS:
        kernel = ""
    body = {"n": n, "cpu": cpu, "memory": memory, "nvidia_gpu": 0 if nvidia_gpu is None else nvidia_gpu,
            "kernel": "python3" if kernel is None else kernel, "script": script or "", "code": code or "",
            "env": dict(env or {})}
    if service:
        body["service"] = dict(service)
    return body


# -- groups (cohort's own; docs/groups.md) ---------------------------------------------------------

class Group:
    """A named group of workers: its handle lists, awaits and stops only its members, and waits for
    its rendezvous (every member running, every service member ready)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "Group(%r)" % self.name

    def describe(self):
        """The group as the session describes it: name, size, ready, failed, rendezvous, workers."""
        answer, _ = _current().request("GET", "/v1/groups/" + urllib.parse.quote(self.name, safe=""))
        return answer

    def workers(self):
        """Its members' descriptions, by rank."""
        return self.describe()["workers"]

    def await_workers(self, wait_for_completion=True, timeout_seconds=60):
        """As await_workers, over its members only; a service member counts once ready."""
        seconds = float(timeout_seconds or 0)
        session = _current()
        result, event = session.request("POST", "/v1/groups/%s/await" % urllib.parse.quote(self.name, safe=""),
                                        {"wait_for_completion": _boolean(wait_for_completion),
                                         "timeout_seconds": timeout_seconds or 0},
                                        timeout=None if seconds <= 0 else seconds + 60)
        session.wait_printed(event)
        return result

    def stop(self):
        """Stops its members; returns them, ended."""
        session = _current()
        workers, event = session.request("POST", "/v1/groups/%s/stop" % urllib.parse.quote(self.name, safe=""), {},
                                         timeout=None)
        session.wait_printed(event)
        return [StopResponse(w) for w in workers]

    def rendezvous(self, timeout_seconds=60):
        """Waits until the group is ready; returns its rendezvous (dict: group, size, master_addr,
        master_port, members, cluster, directory). Raises CohortError naming the member when one ended
        first, or when timeout_seconds (0: no limit) passes."""
        return _rendezvous(self.name, timeout_seconds)


def launch_group(name, roles):
    """Launches a named group of roles, ranked in the order given; returns its Group.

    roles: a list of dicts, each with "role" and launch_workers' arguments, e.g.
    [{"role": "scheduler", "n": 1, "cpu": 1, "memory": 1, "code": "...", "service": {"port": 8786}},
     {"role": "worker", "n": 4, "cpu": 1, "memory": 2, "code": "..."}].
    The whole group is checked and admitted before any worker starts.
    """
    parts = []
    for r in roles:
        r = dict(r)
        role = r.pop("role", "worker")
        part = _launch_body(**r)
        part["role"] = role
        parts.append(part)
    session = _current()
    answer, event = session.request("POST", "/v1/groups", {"name": name, "roles": parts})
    session.wait_printed(event)
    return Group(answer["name"])


def group(name):
    """The handle of a group of the session (one named at launch, or "launch-K")."""
    Group(name).describe()
    return Group(name)


def rendezvous(timeout_seconds=60, group=None):
    """Inside a worker: waits until its group is ready, then sets this process's MASTER_ADDR,
    MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK and TF_CONFIG from it and returns the rendezvous (dict).
    Raises CohortError naming the member when one ended first, or when timeout_seconds (0: no limit)
    passes. group: another group's name (default: this worker's, COHORT_GROUP)."""
    name = group or os.environ.get("COHORT_GROUP")
    if not name:
        raise CohortInputError("rendezvous() runs inside a cohort worker (COHORT_GROUP is not set); from a session,"
                               " use group(name).rendezvous()")
    r = _rendezvous(name, timeout_seconds)
    me = os.environ.get("COHORT_WORKER_ID")
    for m in r["members"]:
        if m["worker"] == me:
            os.environ.update({"MASTER_ADDR": r["master_addr"], "MASTER_PORT": str(r["master_port"]),
                               "RANK": str(m["rank"]), "WORLD_SIZE": str(r["size"]),
                               "LOCAL_RANK": str(m["local_rank"]),
                               "TF_CONFIG": json.dumps({"cluster": r["cluster"],
                                                        "task": {"type": m["role"], "index": m["role_index"]}})})
    return r


def _rendezvous(name, timeout_seconds):
    seconds = float(timeout_seconds or 0)
    deadline = None if seconds <= 0 else time.monotonic() + seconds
    session = _current()
    path = "/v1/groups/%s/rendezvous" % urllib.parse.quote(name, safe="")
    while True:
        left = 60.0 if deadline is None else max(0.0, deadline - time.monotonic())
        answer, _ = session.request("POST", path, {"wait_ms": int(min(60.0, left) * 1000)}, timeout=min(60.0, left) + 60)
        if answer.get("ready"):
            return answer
        if deadline is not None and time.monotonic() >= deadline:
            raise CohortError("group %r is not ready after %s s; still waiting for %s"
                              % (name, timeout_seconds, ", ".join(answer.get("waiting_for", []))))


def list_workers():
    """Every worker of the session, running and ended, in launch order (dicts). Inside a worker: its
    session's workers, itself included, so workers find each other."""
    workers, _ = _current().request("GET", "/v1/workers")
    return workers


def await_workers(ids=None, wait_for_completion=True, timeout_seconds=60):
    """Waits until the workers have ended (wait_for_completion=True) or are running (False).

    ids: an id, a description, or a list of them; None means every worker of the session, and an empty
    list none (it returns at once with both lists empty).
    timeout_seconds: the longest wait; 0 waits without limit; strings are accepted.
    Returns {"workers": [...], "failures": [...]}: those that reached the wanted state (for completion:
    succeeded) and the others (failed, stopped, or not there in time), in launch order.
    """
    if isinstance(ids, (list, tuple, set)) and not ids:
        # An explicit empty list (every launch filtered out): nothing to wait for. None means all.
        return {"workers": [], "failures": []}
    try:
        seconds = float(timeout_seconds or 0)
    except (TypeError, ValueError, OverflowError):
        seconds = 0  # the session names the bad value
    body = {"ids": _ids([ids]), "wait_for_completion": _boolean(wait_for_completion),
            "timeout_seconds": 0 if timeout_seconds is None or seconds == float("inf") else timeout_seconds}
    session = _current()
    # No socket timeout for a wait without limit, or one longer than a socket timeout can be.
    socket_timeout = None if seconds <= 0 or seconds > 1e6 else seconds + 60
    result, event = session.request("POST", "/v1/workers/await", body, timeout=socket_timeout)
    session.wait_printed(event)
    return result


def stop_workers(*ids):
    """Stops the given workers (ids, descriptions, or lists of them), or every worker when none is given.

    Returns, once each has ended, one StopResponse per worker: its description, which also answers
    status_code (200), ok and json() as the reference's responses do. A worker that had already ended
    is returned as it is.
    """
    session = _current()
    workers, event = session.request("POST", "/v1/workers/stop", {"ids": _ids(ids)}, timeout=None)
    session.wait_printed(event)
    return [StopResponse(w) for w in workers]


def session_info():
    """The session's connection details (id, url, pid, directory, working_directory, master_ip,
    backend, started_at, engine_env), as GET /v1/session answers; starts the session if needed."""
    info, _ = _current().request("GET", "/v1/session")
    return info


def close_session():
    """Closes the session this process started (stopping its workers) now rather than at exit; the
    next call starts a new one. Does nothing for an attached session or inside a worker."""
    global _session
    with _lock:
        session, _session = _session, None
    if session is not None:
        session.close()


def _boolean(value):
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    return bool(value)


# -- remote commands inside group members (an rsh for MPI launchers; docs/groups.md) ------------------

def _member_port(host):
    """The port set aside for the member of this worker's group at address host (from cluster.json)."""
    path = os.path.join(os.environ.get("COHORT_GROUP_DIR", ""), "cluster.json")
    try:
        with open(path) as f:
            cluster = json.load(f)
    except OSError:
        cluster = rendezvous(timeout_seconds=120)
    for m in cluster["members"]:
        if m["address"] == host:
            return m["port"]
    raise CohortError("no member of group %s has the address %s (members: %s)"
                      % (cluster["group"], host, ", ".join(m["address"] for m in cluster["members"])))


def _frame(sock, kind, payload):
    sock.sendall(kind + len(payload).to_bytes(4, "big") + payload)


def _read_exactly(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def _member_secret():
    """What members of one group share: COHORT_GROUP_SECRET where each worker holds a credential of its own
    (workers on other hosts), else the session's token, which every worker holds."""
    return os.environ.get("COHORT_GROUP_SECRET") or os.environ["COHORT_TOKEN"]


def exec_server(once=False, port=None):
    """Serves commands from rsh() inside this worker: each connection sends the session's token and a
    command line; the command runs here (in this worker's cgroup, network and environment) with its
    output framed back and its exit code last. With once, it returns after the first command."""
    import socket
    token = _member_secret().encode()
    if port is None:
        port = _member_port(os.environ["CDSW_IP_ADDRESS"])
    server = socket.create_server((os.environ["CDSW_IP_ADDRESS"], int(port)))
    while True:
        conn, _ = server.accept()
        with conn:
            f = conn.makefile("rb")
            request = json.loads(f.readline() or b"{}")
            if not secrets.compare_digest(str(request.get("token", "")).encode(), token):
                _frame(conn, b"e", b"cohort exec: wrong token\n")
                _frame(conn, b"x", b"126")
                continue
            p = subprocess.Popen(["/bin/sh", "-c", request["command"]], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=request.get("cwd") or None)
            lock = threading.Lock()

            def pump(stream, kind):
                for chunk in iter(lambda: stream.read1(65536), b""):
                    with lock:
                        _frame(conn, kind, chunk)

            threads = [threading.Thread(target=pump, args=(p.stdout, b"o")), threading.Thread(target=pump, args=(p.stderr, b"e"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            _frame(conn, b"x", str(p.wait()).encode())
        if once:
            return


def rsh(host, command, retry_seconds=30):
    """Runs command inside the member of this worker's group at address host (which runs exec_server)
    and relays its output; returns its exit code. An rsh/ssh stand-in for launchers such as mpirun."""
    import socket
    port = _member_port(host)
    deadline = time.monotonic() + retry_seconds
    while True:
        try:
            sock = socket.create_connection((host, port))
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise CohortError("nothing serves commands at %s:%d (is exec-server running in that member?)" % (host, port))
            time.sleep(0.05)
    with sock:
        sock.sendall((json.dumps({"token": _member_secret(), "command": command, "cwd": os.getcwd()}) + "\n").encode())
        f = sock.makefile("rb")
        while True:
            try:
                head = _read_exactly(f, 5)
            except EOFError:
                return 255
            payload = _read_exactly(f, int.from_bytes(head[1:], "big"))
            if head[:1] == b"o":
                sys.stdout.buffer.write(payload)
                sys.stdout.buffer.flush()
            elif head[:1] == b"e":
                sys.stderr.buffer.write(payload)
                sys.stderr.buffer.flush()
            else:
                return int(payload)


def _main(argv):
    """python3 -m cohort_workers rendezvous [--timeout S] [--env]: for shell and other workers."""
    import argparse
    parser = argparse.ArgumentParser(prog="python3 -m cohort_workers")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rendezvous", help="wait until this worker's group is ready; print its rendezvous")
    r.add_argument("--timeout", type=float, default=60, help="seconds (0: no limit); default 60")
    r.add_argument("--group", default=None, help="another group's name (default: this worker's)")
    r.add_argument("--env", action="store_true", help="print shell export lines instead of JSON")
    e = sub.add_parser("exec-server", help="serve commands from rsh inside this worker (for mpirun)")
    e.add_argument("--once", action="store_true", help="return after the first command")
    x = sub.add_parser("rsh", help="run a command inside the group member at HOST (an ssh stand-in for mpirun)")
    x.add_argument("host")
    x.add_argument("words", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "exec-server":
        exec_server(once=args.once)
        return 0
    if args.command == "rsh":
        return rsh(args.host, " ".join(args.words))
    try:
        answer = rendezvous(args.timeout, args.group)
    except CohortError as e:
        print("cohort: %s" % e, file=sys.stderr)
        return 1
    if args.env:
        for k in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK", "TF_CONFIG"):
            if k in os.environ:
                print("export %s=%s" % (k, shlex.quote(os.environ[k])))
    else:
        print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
