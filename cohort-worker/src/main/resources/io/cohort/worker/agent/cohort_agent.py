# cohort's agent in Python: the same agent as io.cohort.worker.agent.Agent (the Java one), for nodes
# that have python3, because it starts in about 20-30 ms of CPU where the agent's JVM takes about
# 100 ms, and a launch of many workers on few cores pays that once per worker (BENCHMARKS.md, 6).
#
# It speaks the same protocol (docs/control-plane.md, "Agents") and keeps the same promises: it
# fetches the worker's spec, starts the program as the leader of a session of its own, ships its
# output lines in order, polls the session (the heartbeat, which brings a stop at once), reports the
# exit and exits with the program's code. When the session has not answered for
# COHORT_AGENT_GIVE_UP_MS it ends the program's whole tree (SIGTERM, SIGKILL two seconds later) and
# exits with 75; it never exits leaving the program running. With an https:// COHORT_API it trusts
# only the certificate COHORT_TLS_PIN names, and sends nothing before that is checked.
#
# Standard library only, and Python 3.6 or newer; the Slurm backend runs it as
# `python3 -I -S - [JAVA AGENT COMMAND...] <<EOF`: on an older python3 it hands over to the Java agent
# given as its arguments. Not for users: it is started by a cohort backend.
import json
import os
import signal
import socket
import sys
import threading
import time

POLL_WAIT_MS = 10000
READ_TIMEOUT_S = 10.0
RETRY_S = 0.25
SESSION_GONE_GRACE_S = 2.0
MAX_LINE = 1 << 20
MAX_BATCH_LINES = 2000
MAX_BATCH_BYTES = 1 << 20
QUEUED_LINES = 10000
HOST_VARIABLES = ("HOSTNAME", "TMPDIR")
GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES")
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*")


def say(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Refused(Exception):
    """The session answered with an error status: its answer, not a silence."""


class SessionGone(Exception):
    """The session has not answered for the give-up time."""


def segment(s):
    """s as one path segment, percent-encoded as Java's URLEncoder does (spaces as %20)."""
    return "".join(chr(b) if b in UNRESERVED else "%%%02X" % b for b in s.encode("utf-8"))


class Client:
    """HTTP/1.1 to the control plane: one kept-alive connection per thread, each request in one write."""

    def __init__(self, api, token, worker, pin):
        scheme, _, rest = api.partition("://")
        host, _, port = rest.rstrip("/").rpartition(":")
        if scheme not in ("http", "https") or not host or not port.isdigit():
            raise ValueError("COHORT_API must look like http://HOST:PORT or https://HOST:PORT, got " + api)
        pinned = bool(pin and pin.strip())
        if scheme == "https" and not pinned:
            raise ValueError("COHORT_API is %s but COHORT_TLS_PIN is not set: the session's certificate is trusted"
                             " only by its pin, which the session gives each worker" % api)
        if scheme == "http" and pinned:
            raise ValueError("COHORT_TLS_PIN is set, so COHORT_API must be https://, got %s: a worker given a pin"
                             " never sends its credential in plain text" % api)
        self.host = host.strip("[]")
        self.port = int(port)
        self.token = token
        self.worker = worker
        self.pin = None
        self.tls = None
        if pinned:
            p = pin.strip().lower()
            if not (p.startswith("sha256:") and len(p) == 71 and all(c in "0123456789abcdef" for c in p[7:])):
                raise ValueError("COHORT_TLS_PIN must be sha256: and 64 hex digits (the session sets it), got '%s'" % pin)
            self.pin = p
            import ssl  # only for https: it costs a few milliseconds to load
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            # No authority and no name: the pin is checked on the certificate itself, below.
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.tls = ctx
        self.local = threading.local()

    def _connect(self):
        s = socket.create_connection((self.host, self.port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            import hashlib
            import hmac
            try:
                s = self.tls.wrap_socket(s)
                got = "sha256:" + hashlib.sha256(s.getpeercert(binary_form=True) or b"").hexdigest()
            except Exception:
                s.close()
                raise
            if not hmac.compare_digest(got, self.pin):
                s.close()
                raise OSError("the server's certificate is not the session's: its pin is %s, COHORT_TLS_PIN is %s"
                              " (something else answers at COHORT_API, or the session was restarted and this worker"
                              " holds an old pin)" % (got, self.pin))
        return s, s.makefile("rb", 65536)

    def _close(self):
        c = getattr(self.local, "conn", None)
        self.local.conn = None
        if c is not None:
            try:
                c[1].close()
                c[0].close()
            except OSError:
                pass

    def call(self, method, path, body, timeout):
        """Sends a request and returns the answer's body; Refused on an error status, OSError when not answered."""
        last = None
        # A kept-alive connection the session closed fails before any answer: that request never reached
        # it, so one retry on a fresh connection is safe. Once an answer began, it is never sent twice.
        for _ in range(2):
            c = getattr(self.local, "conn", None)
            reused = c is not None
            answered = [False]
            try:
                if c is None:
                    c = self._connect()
                    self.local.conn = c
                c[0].settimeout(timeout)
                return self._exchange(c, method, path, body, answered)
            except Refused:
                raise
            except (OSError, ValueError) as e:
                self._close()
                last = e
                if not reused or answered[0] or isinstance(e, socket.timeout):
                    break
        raise OSError("cannot reach the session at %s://%s:%d (%s %s): %s"
                      % ("https" if self.tls else "http", self.host, self.port, method, path, last))

    def _exchange(self, c, method, path, body, answered):
        payload = body or b""
        head = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nX-Cohort-Worker: %s\r\n"
                "Content-Length: %d\r\n\r\n" % (method, path, self.host, self.port, self.token, self.worker, len(payload)))
        c[0].sendall(head.encode("latin-1") + payload)
        f = c[1]
        status = f.readline()
        if not status:
            raise OSError("the session closed the connection")
        answered[0] = True
        code = int(status.split(b" ", 2)[1])
        length = -1
        chunked = close = False
        while True:
            line = f.readline()
            if not line:
                raise OSError("the session's answer ended early")
            line = line.strip().decode("latin-1").lower()
            if not line:
                break
            if line.startswith("content-length:"):
                length = int(line[15:].strip())
            elif line.startswith("transfer-encoding:") and "chunked" in line:
                chunked = True
            elif line.startswith("connection:") and "close" in line:
                close = True
        if chunked:
            parts = []
            while True:
                n = int(f.readline().split(b";")[0].strip(), 16)
                if n == 0:
                    f.readline()
                    break
                parts.append(self._exactly(f, n))
                f.readline()
            answer = b"".join(parts)
        elif length >= 0:
            answer = self._exactly(f, length)
        else:
            answer = f.read()
        if close or (not chunked and length < 0):
            self._close()
        if code >= 400:
            text = answer.decode("utf-8", "replace")
            try:
                text = json.loads(text).get("error") or text
            except (ValueError, AttributeError):
                pass
            raise Refused("the session refused %s %s (%d): %s" % (method, path, code, text))
        return answer

    @staticmethod
    def _exactly(f, n):
        b = f.read(n)
        if len(b) != n:
            raise OSError("the session's answer ended early")
        return b


class Link:
    """The agent's calls, each retried while the session is silent, up to the give-up time since its last answer."""

    def __init__(self, client, api, worker, give_up_ms, on_stop, on_gone):
        self.client = client
        self.api = api
        self.worker = worker
        self.give_up_ms = give_up_ms
        self.on_stop = on_stop
        self.on_gone = on_gone
        self.last_contact = time.monotonic()
        self.gone = False
        self.gone_lock = threading.Lock()

    def spec(self):
        return json.loads(self.call("GET", "spec", None, READ_TIMEOUT_S))

    def started(self, report):
        self.call("POST", "started", report, READ_TIMEOUT_S)

    def exited(self, report):
        self.call("POST", "exited", report, READ_TIMEOUT_S)

    def output(self, lines):
        self.obey(self.call("POST", "output", {"lines": lines}, READ_TIMEOUT_S))

    def heartbeat(self, going):
        while going() and not self.gone:
            self.obey(self.call("POST", "poll", {"wait_ms": POLL_WAIT_MS}, POLL_WAIT_MS / 1000.0 + READ_TIMEOUT_S))

    def address_towards_session(self):
        """This host's address on the route to the session: the one peers and the session reach it by."""
        s = socket.create_connection((self.client.host, self.client.port), timeout=10)
        try:
            return s.getsockname()[0]
        finally:
            s.close()

    def obey(self, answer):
        grace = json.loads(answer).get("stop_ms")
        if isinstance(grace, (int, float)) and not isinstance(grace, bool):
            self.on_stop(grace / 1000.0)

    def call(self, method, action, report, timeout):
        path = "/v1/agents/%s/%s" % (segment(self.worker), action)
        body = None if report is None else json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        while True:
            if self.gone:
                raise SessionGone("the session did not answer for %d ms" % self.give_up_ms)
            try:
                answer = self.client.call(method, path, body, timeout)
                self.last_contact = time.monotonic()
                return answer
            except Refused:
                self.last_contact = time.monotonic()
                raise
            except OSError as e:
                silent = int((time.monotonic() - self.last_contact) * 1000)
                if silent >= self.give_up_ms:
                    self.gone_now()
                    raise SessionGone("the session did not answer for %d ms: %s" % (silent, e))
                time.sleep(RETRY_S)

    def gone_now(self):
        with self.gone_lock:
            if self.gone:
                return
            self.gone = True
        self.on_gone()


def proc_table():
    """(pid, ppid, pgrp, session, start time) of every live process but zombies, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) < 20 or fields[0] == b"Z":
            continue
        out.append((int(name), int(fields[1]), int(fields[2]), int(fields[3]), fields[19]))
    return out


class ProgramTree:
    """The program, leader of a session and group of its own, and every process of its tree (ProcessTree.ofLeader)."""

    def __init__(self, process):
        self.process = process
        self.root = process.pid
        self.seen = {}
        self.stopping = False
        self.lock = threading.Lock()

    def members(self):
        table = proc_table()
        children = {}
        starts = {}
        for pid, ppid, pgrp, sid, start in table:
            children.setdefault(ppid, []).append(pid)
            starts[pid] = start
        pids = set()
        todo = [self.root]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in pids:
                    pids.add(child)
                    todo.append(child)
        for pid, ppid, pgrp, sid, start in table:
            if pid == self.root or pgrp == self.root or sid == self.root:
                pids.add(pid)
        # A process once found stays in the tree while it lives (the same start time: not a reused pid).
        self.seen = dict((p, s) for p, s in self.seen.items() if starts.get(p) == s)
        for p in pids:
            if p in starts:
                self.seen[p] = starts[p]
        pids.update(self.seen)
        pids.discard(os.getpid())
        return pids

    def signal(self, sig):
        try:
            os.killpg(self.root, sig)
        except OSError:
            pass
        for pid in self.members():
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def stop(self, grace):
        """SIGTERM to the whole tree now, SIGKILL to what is left after the grace; on a thread of its own."""
        def run():
            self.signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and self.members():
                time.sleep(0.02)
            self.kill()
        daemon(run)

    def stop_once(self, grace):
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
        self.stop(grace)

    def kill(self):
        """SIGKILL until nothing of the tree is left, for at most two seconds."""
        for _ in range(100):
            if not self.members():
                return
            self.signal(signal.SIGKILL)
            time.sleep(0.02)

    def alive(self):
        return self.process.poll() is None


class Lines:
    """A byte stream split into lines as LineSplitter does: LF, CR LF and a lone CR end a line, decoded per
    whole line, and a line longer than 1 MiB comes in pieces cut at a character boundary."""

    def __init__(self):
        self.pending = bytearray()
        self.after_cr = False

    def feed(self, data, out):
        start = 0
        if self.after_cr and data[:1] == b"\n":
            start = 1
        self.after_cr = False
        n = len(data)
        lf = cr = -2  # the next LF and CR at or after start (-1: none), looked up again once passed
        while True:
            if -1 < lf < start or lf == -2:
                lf = data.find(b"\n", start)
            if -1 < cr < start or cr == -2:
                cr = data.find(b"\r", start)
            end = lf if cr < 0 or (0 <= lf < cr) else cr
            if end < 0:
                break
            if not self.pending and end - start < MAX_LINE:
                out.append(data[start:end].decode("utf-8", "replace"))
            else:
                self.pending += data[start:end]
                self.pieces(out)
                out.append(self.take())
            start = end + 1
            if data[end:end + 1] == b"\r":
                if end + 1 == n:
                    self.after_cr = True
                elif data[end + 1:end + 2] == b"\n":
                    start = end + 2
        if start < n:
            self.pending += data[start:]
            self.pieces(out)

    def pieces(self, out):
        while len(self.pending) >= MAX_LINE:
            cut = boundary(self.pending, MAX_LINE)
            out.append(self.pending[:cut].decode("utf-8", "replace"))
            del self.pending[:cut]

    def take(self):
        s = self.pending.decode("utf-8", "replace")
        self.pending = bytearray()
        return s


def boundary(b, end):
    """Where to cut b[0:end] so that no character is split: before an unfinished one (LineSplitter.boundary)."""
    for back in range(1, 5):
        if end - back < 0:
            break
        c = b[end - back]
        if c & 0xC0 == 0x80:
            continue
        length = 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2 if c >= 0xC0 else 1
        return end - back if length > back and end - back > 0 else end
    return end


class Shipper:
    """The program's output on its way: a bounded queue (a fast program waits on its pipe), and one thread that
    ships whatever gathered while the previous batch was in flight, at most 2000 lines and 1 MiB a batch."""

    END = object()

    def __init__(self, link, dropping, on_failure):
        import queue
        self.link = link
        self.dropping = dropping
        self.on_failure = on_failure
        self.lines = queue.Queue(QUEUED_LINES)
        self.full = queue.Full

    def offer(self, item):
        while not self.dropping():
            try:
                self.lines.put(item, timeout=0.2)
                return
            except self.full:
                pass

    def pump(self, pipe, stream):
        def run():
            lines = Lines()
            try:
                fd = pipe.fileno()
                while True:
                    data = os.read(fd, 65536)
                    if not data:
                        break
                    out = []
                    lines.feed(data, out)
                    for line in out:
                        self.offer((stream, line))
                if lines.pending:
                    self.offer((stream, lines.take()))
            except OSError as e:
                self.offer(("err", "[cohort agent: reading the program's std%s failed: %s]" % (stream, e)))
            except Exception as e:
                self.on_failure("reading the program's std%s failed: %r" % (stream, e))
            finally:
                pipe.close()
        return daemon(run)

    def end(self):
        self.offer(Shipper.END)

    def start(self):
        return daemon(self.ship)

    def ship(self):
        try:
            carried = None
            end = False
            while not end and not self.link.gone:
                first = carried if carried is not None else self.lines.get()
                carried = None
                batch = []
                size = 0
                item = first
                while True:
                    if item is Shipper.END:
                        end = True
                        break
                    cost = len(item[1]) + 12
                    if batch and (len(batch) >= MAX_BATCH_LINES or size + cost > MAX_BATCH_BYTES):
                        carried = item
                        break
                    batch.append(list(item))
                    size += cost
                    try:
                        item = self.lines.get_nowait()
                    except Exception:
                        break
                if batch:
                    self.link.output(batch)
        except SessionGone:
            pass  # the link told the agent already
        except Exception as e:
            self.on_failure("shipping the program's output failed: %s" % e)


def daemon(run):
    t = threading.Thread(target=run)
    t.daemon = True
    t.start()
    return t


def environment(from_session, host):
    """The worker's environment: the session's, over this host's for what belongs to the host (ProgramSpec)."""
    env = dict((k, v) for k, v in host.items() if not k.startswith("COHORT_AGENT_"))
    engine_gpus = "SLURM_JOB_GPUS" in host or "SLURM_STEP_GPUS" in host
    for k, v in from_session.items():
        hosts = k in HOST_VARIABLES or k.startswith("SLURM_") or (engine_gpus and k in GPU_VARIABLES)
        if not hosts or k not in env:
            env[k] = v if isinstance(v, str) else json.dumps(v)
    return env


def gpus(visible):
    out = []
    for s in (visible or "").split(","):
        s = s.strip()
        if s.isdigit():
            out.append(int(s))
    return out


class Agent:
    def __init__(self, api, token, pin, worker, give_up_ms):
        self.worker = worker
        self.link = Link(Client(api, token, worker, pin), api, worker, give_up_ms, self.stop_ordered, self.session_gone)
        self.program = None
        self.terminated = False
        self.failure = None

    def run(self):
        import subprocess
        # A refusal here (the worker ended or was stopped while its job waited) means: do not run it.
        spec = self.link.spec()
        env = environment(spec["env"], os.environ)
        address = env.get("CDSW_IP_ADDRESS")
        if address is None:
            address = self.link.address_towards_session()
            env["CDSW_IP_ADDRESS"] = address
        command = spec["command"]
        try:
            process = subprocess.Popen(command, cwd=spec["directory"], env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except (OSError, ValueError) as e:
            # The program cannot start here (e.g. the interpreter is missing on this node).
            self.link.started({"pid": os.getpid(), "address": address})
            reason = "cannot start %s on %s: %s" % (command[0] if command else "(no command)", socket.gethostname(), e)
            self.link.exited({"exit_code": 127, "reason": reason})
            return 127
        p = ProgramTree(process)
        self.program = p
        # A signal to the agent alone (scancel --batch, a time limit) must not leave the program behind;
        # the engine ended the job and knows why, so no end is reported.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.terminate)
        try:
            return self.supervise(p, address, env)
        finally:
            # Whatever ended the agent early, it does not leave the program behind.
            if p.alive():
                p.stop(SESSION_GONE_GRACE_S)
                process.wait()
                p.kill()

    def terminate(self, signum, frame):
        self.terminated = True
        p = self.program
        if p is not None:
            p.kill()
        os._exit(128 + signum)

    def supervise(self, p, address, env):
        self.link.started({"pid": p.root, "address": address, "gpus": gpus(env.get("CUDA_VISIBLE_DEVICES")),
                           "host": socket.gethostname()})
        output = Shipper(self.link, lambda: self.link.gone or self.failure is not None, self.failed)
        out = output.pump(p.process.stdout, "out")
        err = output.pump(p.process.stderr, "err")
        shipper = output.start()
        daemon(self.heartbeat)
        code = p.process.wait()
        if code < 0:
            code = 128 - code  # killed by a signal: the shell's and the JVM's convention
        # Whatever the program left behind in its tree goes with it, as on local workers.
        p.kill()
        out.join()
        err.join()
        output.end()
        # A shipper stuck on a silent session is not waited for: its lines cannot be delivered anyway.
        while shipper.is_alive() and not self.link.gone:
            shipper.join(0.2)
        if self.link.gone:
            raise SessionGone("the session at %s did not answer for %d ms (it ended, or its machine cannot be"
                              " reached); the program was ended" % (self.link.api, self.link.give_up_ms))
        if self.terminated:
            return code
        self.link.exited({"exit_code": code, "reason": self.failure})
        return code

    def heartbeat(self):
        p = self.program
        try:
            self.link.heartbeat(lambda: p.alive() and not p.stopping)
        except SessionGone:
            pass  # the link told the agent already
        except Exception as e:
            self.failed("the heartbeat failed: %s" % e)

    def stop_ordered(self, grace):
        p = self.program
        if p is not None:
            p.stop_once(grace)

    def session_gone(self):
        p = self.program
        if p is not None:
            say("cohort agent %s: the session did not answer for %d ms; ending the program"
                % (self.worker, self.link.give_up_ms))
            p.stop_once(SESSION_GONE_GRACE_S)

    def failed(self, why):
        if self.failure is None:
            self.failure = "its agent ended it: " + why
            say("cohort agent %s: %s" % (self.worker, why))
        p = self.program
        if p is not None:
            p.stop_once(SESSION_GONE_GRACE_S)


def require(name):
    v = os.environ.get(name, "")
    if not v.strip():
        say("cohort agent: %s is not set; the agent is started by a cohort backend, not by hand" % name)
        sys.exit(2)
    return v


def main(fallback):
    if sys.version_info < (3, 6):
        if fallback:
            os.execvp(fallback[0], fallback)
        say("cohort agent: python %s is older than 3.6; set cohort.slurm.agent=java or auto, or point"
            " cohort.slurm.python at a newer python3" % sys.version.split()[0])
        sys.exit(2)
    api = require("COHORT_API")
    token = require("COHORT_TOKEN")
    worker = require("COHORT_WORKER_ID")
    try:
        give_up = int(os.environ.get("COHORT_AGENT_GIVE_UP_MS", "10000"))
    except ValueError:
        give_up = 10000
    try:
        code = Agent(api, token, os.environ.get("COHORT_TLS_PIN"), worker, give_up).run()
    except SessionGone as e:
        say("cohort agent %s: %s" % (worker, e))
        code = 75
    except Exception as e:
        say("cohort agent %s: %s" % (worker, e))
        code = 70
    sys.stdout.flush()
    # Daemon threads (a poll in flight) do not hold the exit back.
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
