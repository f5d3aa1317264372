"""A pre-warmed job server for local workflow runs: every job starts in milliseconds instead of seconds.

A workflow job is a fresh ``nasrepro`` process, and importing torch, pandas, matplotlib and the package costs
about 2.5 s of CPU on this machine's cores; the demo's 250 jobs spend a third of their time there. For a
local run the workflow starts one server (``serve``), which imports all of that once and then forks one child
per job. The ``nasrepro`` command of a job, seeing ``NASREPRO_JOB_SERVER``, hands its arguments, working
directory, environment and standard streams (the file descriptors themselves) to the server and waits; the
child adopts them, sets torch's thread count from the job's ``OMP_NUM_THREADS`` as a fresh process would, runs
the command and exits with its status, which the client returns. Signals the client receives (Snakemake
cancelling a job) are forwarded to the child.

A command runs exactly as it would in a process of its own (the server imports, it never computes: no
generator, CUDA context or compiler is initialised before the fork; tested bit for bit on a search). A client
that cannot reach the server runs the command itself, so a stale variable or a cluster node never breaks a
job. The workflow uses the server only for local execution without conda (``job_server: false`` turns it off).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

ENV = "NASREPRO_JOB_SERVER"
_HEADER = struct.Struct("!I")
# Processes that must never be forwarded: the server itself and torchrun's ranks (their own process group).
_LOCAL_ONLY = ("serve-jobs",)


def _prewarm() -> None:
    """Import what jobs import (not torch._dynamo: a job that never compiles must not have it loaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import torch  # noqa: F401

    import nasrepro.catalogue  # noqa: F401  (every reporting builder)
    import nasrepro.cli  # noqa: F401
    import nasrepro.jobs  # noqa: F401  (search, stand-alone, warm-up, differentiable)
    import nasrepro.reporting.figures  # noqa: F401
    if "torch._dynamo" in sys.modules:  # pragma: no cover - guarded by a test
        raise RuntimeError("pre-warming imported torch._dynamo; jobs would no longer start without the compiler")


# ---------------------------------------------------------------------------------------------- client
def should_forward(argv: Sequence[str]) -> str | None:
    """The server's socket when this ``nasrepro`` process should hand its command over, else None."""
    path = os.environ.get(ENV)
    if not path or (argv and argv[0] in _LOCAL_ONLY) or "LOCAL_RANK" in os.environ:
        return None
    return path


def run_remote(path: str, argv: Sequence[str]) -> int | None:
    """Run ``nasrepro argv`` in a child of the server at ``path``; its exit status, or None when the server
    cannot be reached (the caller then runs the command itself)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    body = json.dumps({"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    try:
        socket.send_fds(conn, [_HEADER.pack(len(body))], [0, 1, 2])
        conn.sendall(body)
        reply = conn.makefile("r")
        first = reply.readline()
    except OSError:
        conn.close()
        return None
    if not first.strip():
        conn.close()
        return None  # the server refused the job before forking: run it here
    pid = int(first)

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    status = reply.readline().strip()
    conn.close()
    if not status:
        print(f"nasrepro: error: the job server at {path} stopped while running this job; rerun it "
              f"(or set job_server: false)", file=sys.stderr)
        return 1
    code = int(status)
    return 128 - code if code < 0 else code  # a child killed by signal n: the shell's 128 + n


# ---------------------------------------------------------------------------------------------- server
def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
    if len(header) != _HEADER.size or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise OSError("malformed job request")
    (size,) = _HEADER.unpack(header)
    body = b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise OSError("truncated job request")
        body += chunk
    return json.loads(body), fds


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the job's process, run its command, exit with its status."""
    code = 1
    try:
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.pop(ENV, None)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import torch

        threads = os.environ.get("OMP_NUM_THREADS")
        if threads and threads.isdigit() and int(threads) > 0:
            torch.set_num_threads(int(threads))
        sys.argv = ["nasrepro", *request["argv"]]
        from nasrepro.cli import main

        code = int(main(request["argv"]) or 0)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like an uncaught exception of a fresh interpreter
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str) -> None:
    """Pre-warm, then fork one child per job request on the UNIX socket ``path`` until SIGTERM."""
    _prewarm()
    Path(path).unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    try:
        while not stopping:
            for _key, _ in sel.select(timeout=0.05):
                conn, _ = listener.accept()
                try:
                    conn.settimeout(10)
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    conn.close()
                    _child(request, fds)
                for fd in fds:
                    os.close(fd)
                print(f"job {pid}: nasrepro {' '.join(request['argv'])}", flush=True)
                conn.sendall(f"{pid}\n".encode())
                children[pid] = conn
            while children:  # reap finished jobs and report their status
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                conn = children.pop(pid, None)
                if conn is not None:
                    try:
                        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                    except OSError:
                        pass
                    conn.close()
    finally:
        listener.close()
        Path(path).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- lifecycle
def start(log_path: str | Path) -> tuple[subprocess.Popen, str]:
    """Start a server (this interpreter, pre-warmed) and wait until it accepts jobs; (process, socket path)."""
    path = str(Path(tempfile.gettempdir()) / f"nasrepro-jobs-{os.getuid()}-{os.getpid()}.sock")
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "nasrepro.jobserver", path], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the job server exited with {proc.returncode}; see {log_path}")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
            probe.close()
            return proc, path
        except OSError:
            probe.close()
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError(f"the job server did not start within 120 s; see {log_path}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    serve(sys.argv[1])
