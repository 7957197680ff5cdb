"""Runs a Python script as the reference's engines do: ``!cmd`` lines and ``%magics`` work.

    python3 -m cohort_run SCRIPT [ARGS...]      (what ``cohort python SCRIPT`` and ``cohort-python`` run)

Scripts written for the reference run in its IPython-like engine, so they may start with
``!pip3 install -r requirements.txt`` or call ``!bash start.sh``. A script with such lines is turned
into Python by IPython's own input transformer and run with ``get_ipython()`` available; any other
script runs exactly as ``python3 SCRIPT`` would (``runpy``). Without IPython, a script with such
lines stops at once with the fix (install IPython: Debian ``python3-ipython``, else ``pip install
ipython``). The script sees ``__name__ == "__main__"``, its own ``__file__`` and ``sys.argv``.
"""
import os
import re
import runpy
import sys

_SHELL_OR_MAGIC = re.compile(r"^[ \t]*[!%]", re.MULTILINE)


def needs_ipython(source):
    """True when a line starts with '!' (a shell command) or '%' (a magic)."""
    return _SHELL_OR_MAGIC.search(source) is not None


def run(path, argv):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    sys.argv = [path] + list(argv)
    # The session is an engine from the script's first line on: its CDSW_* variables are set (the
    # session itself starts at the first workers call).
    import cohort_workers  # noqa: F401
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    if not needs_ipython(source):
        runpy.run_path(path, run_name="__main__")
        return
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        _with_debians_python(path, argv)
        sys.exit("%s has !shell lines or %%magics, which run in IPython, and %s cannot import IPython: install it "
                 "(Debian: apt-get install python3-ipython; else pip install ipython)" % (path, sys.executable))
    shell = InteractiveShell.instance()
    code = compile(TransformerManager().transform_cell(source), path, "exec")
    namespace = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__, "get_ipython": lambda: shell}
    exec(code, namespace)


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


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit("usage: python3 -m cohort_run SCRIPT [ARGS...]: runs a script, with its !shell lines and %magics")
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
