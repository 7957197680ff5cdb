"""Runs a Python script as the reference's engines do.

    python3 -m cohort_run SCRIPT [ARGS...]      (what ``cohort python SCRIPT`` and ``cohort-python`` run;
    python3 /path/to/cohort_run.py SCRIPT ...    every python3 worker runs the file itself, which skips runpy)

- ``!cmd`` lines and ``%magics`` work. Scripts written for the reference run in its IPython-like
  engine, so they may start with ``!pip3 install -r requirements.txt`` or call ``!bash start.sh``.
  A script with such lines is turned into Python by IPython's own input transformer and run with
  ``get_ipython()`` available; any other script runs as ``python3 SCRIPT`` would. Without IPython, a
  script with such lines stops at once with the fix (Debian ``python3-ipython``, else ``pip install
  ipython``).
- In a worker, a connection to the session's address that is refused is tried again, for up to
  ``COHORT_MASTER_CONNECT_RETRY_SECONDS`` (default 10; 0 turns it off). In the reference a worker
  starts seconds after its launch, so its documented network example, whose session listens only
  after ``launch_workers()`` returns, always finds the port open; cohort's workers start within
  milliseconds, and would find it closed.
- In a session, the reference's ``CDSW_*`` variables are set before the first line runs.

The script sees ``__name__ == "__main__"``, its own ``__file__``, ``sys.argv`` and its directory on
``sys.path``; tracebacks show its frames only.
"""
import builtins
import os
import sys
import types

# Every python3 worker starts through this file: it imports no more than it must (no re, socket or
# traceback unless needed), so a worker's start costs about what python3 SCRIPT costs.

def needs_ipython(source):
    """True when a line starts with '!' (a shell command) or '%' (a magic)."""
    if "!" not in source and "%" not in source:
        return False
    return any(line.lstrip(" \t")[:1] in ("!", "%") for line in source.splitlines())


def _retry_refused_connects_to_the_session():
    master = os.environ.get("CDSW_MASTER_IP")
    try:
        seconds = float(os.environ.get("COHORT_MASTER_CONNECT_RETRY_SECONDS") or 10)
    except ValueError:
        seconds = 10
    if not master or seconds <= 0:
        return
    if "socket" in sys.modules:
        _patch_socket(sys.modules["socket"], master, seconds)
    else:
        # Patched when the script first imports it: a worker that never uses sockets pays nothing.
        sys.meta_path.insert(0, _OnSocketImport(master, seconds))


class _OnSocketImport:
    """Finds the socket module as usual, and patches it once it has been executed."""

    def __init__(self, master, seconds):
        self.master = master
        self.seconds = seconds

    def find_spec(self, name, path=None, target=None):
        if name != "socket":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, lambda module: _patch_socket(module, self.master, self.seconds))
        return spec


class _PatchingLoader:
    def __init__(self, loader, patch):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)


def _patch_socket(socket, master, seconds):
    import time
    connect = socket.socket.connect

    def connect_when_listening(self, address):
        # Only blocking TCP connects to the session's own address; everything else as it was.
        if not (isinstance(address, tuple) and address and address[0] == master and self.gettimeout() != 0.0):
            return connect(self, address)
        deadline = time.monotonic() + seconds
        delay = 0.02
        while True:
            try:
                return connect(self, address)
            except ConnectionRefusedError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    socket.socket.connect = connect_when_listening


def _with_debians_python(path, argv):
    """Where this interpreter has no IPython and Debian's /usr/bin/python3 (python3-ipython) has it, runs the
    script with that one instead, saying so; returns when there is none."""
    debian = "/usr/bin/python3"
    if os.environ.get("COHORT_RUN_NO_FALLBACK") or not os.path.exists(debian):
        return
    if os.path.realpath(debian) == os.path.realpath(sys.executable):
        return
    import subprocess
    if subprocess.call([debian, "-c", "import IPython"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        return
    sys.stderr.write("cohort: %s cannot import IPython, which %s needs for its !shell lines or %%magics; running it "
                     "with %s, which can (set COHORT_PYTHON to choose the interpreter)\n" % (sys.executable, path, debian))
    sys.stderr.flush()
    os.environ["COHORT_RUN_NO_FALLBACK"] = "1"
    os.execv(debian, [debian, "-u", "-m", "cohort_run", path] + list(argv))


def _compile(path, source, argv):
    """The script's code, and what it runs with (None, or the shell behind get_ipython())."""
    if not needs_ipython(source):
        return compile(source, path, "exec"), None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        if "COHORT_WORKER_ID" not in os.environ:
            _with_debians_python(path, argv)
        sys.exit("%s has !shell lines or %%magics, which run in IPython, and %s cannot import IPython: install it "
                 "(Debian: apt-get install python3-ipython; else pip install ipython)" % (path, sys.executable))
    shell = InteractiveShell.instance()
    return compile(TransformerManager().transform_cell(source), path, "exec"), shell


def run(path, argv):
    with open(path, "rb") as f:
        source = f.read().decode("utf-8")
    if "COHORT_WORKER_ID" in os.environ:
        _retry_refused_connects_to_the_session()
    else:
        import cohort_workers  # noqa: F401  (the session's CDSW_* variables, from the first line on)
    code, shell = _compile(path, source, argv)
    sys.argv = [path] + list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    # The script is the __main__ module, as with python3 SCRIPT: what it defines can be pickled by
    # reference, and multiprocessing's spawn children import it from its file.
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    if shell is not None:
        main.get_ipython = lambda: shell
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        # As python3 SCRIPT would print it: the script's frames, not this runner's.
        import traceback
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb)
        sys.exit(1)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit("usage: python3 -m cohort_run SCRIPT [ARGS...]: runs a script, with its !shell lines and %magics")
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
