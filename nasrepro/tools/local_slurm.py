"""A throw-away single-node SLURM for testing the cluster path as users run it (issue 20).

``python -m nasrepro.tools.local_slurm up`` starts munge, ``slurmctld`` and ``slurmd`` from a private
directory (default ``/tmp/nasrepro-slurm``): its own munge key and socket, a one-node ``slurm.conf``
without accounting, partitions ``cpu`` (default) and ``gpu``, and a fake GPU (``Gres=gpu:1`` backed by
character devices such as ``/dev/null``) so that ``--gres=gpu:N`` jobs schedule. It prints the ``SLURM_CONF`` to export. ``down``
stops the daemons and removes the directory; ``status`` says what runs; ``install`` installs the Debian
packages (``slurm-wlm``, ``munge``; the only step that needs root).

The node advertises ``--cpus`` / ``--mem-mb`` / ``--gpus`` (default 32 CPUs, 128 GiB, 4 GPUs, the
largest search request of ``profiles/slurm-multigpu``) whatever the machine has
(``SlurmdParameters=config_overrides``), so the shipped profiles' per-rule requests schedule unchanged
on a 2-core machine; nothing enforces them (``task/none``), so jobs share the real cores. Without
accounting, ``sacct`` is unavailable: Snakemake's SLURM executor needs ``slurm-status-command: squeue``
and ``slurm-no-account: true``.

Snakemake's job step removes ``SLURM_CONF`` from the environment of its nested ``srun``, so ``up`` also
links ``/etc/slurm/slurm.conf`` to this cluster's config (refusing if another config is there) and
``down`` removes the link.

``up`` is idempotent (daemons already answering are kept); ``LocalSlurm`` is a context manager whose
exit always stops the daemons, so a failing test never leaves them behind.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo", "srun")
PACKAGES = ("slurm-wlm", "munge")
DEFAULT_DIR = Path("/tmp/nasrepro-slurm")
# Snakemake's SLURM job step strips every SLURM_* variable (SLURM_CONF included) before its nested srun,
# which then reads the default path: the cluster's config must live there, as on a real site.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
FAKE_GPU_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/urandom")


class SlurmUnavailable(RuntimeError):
    """SLURM cannot run here; the message says what is missing and how to get it."""


def missing_programs() -> list[str]:
    return [p for p in DAEMONS + CLIENTS if shutil.which(p) is None]


def install() -> None:
    """``apt-get install slurm-wlm munge`` (Debian/Ubuntu, root)."""
    if not missing_programs():
        return
    if shutil.which("apt-get") is None:
        raise SlurmUnavailable("no apt-get here: install SLURM (slurmctld, slurmd, sbatch, ...) and munge by hand")
    if os.geteuid() != 0:
        raise SlurmUnavailable(f"installing {' '.join(PACKAGES)} needs root: sudo apt-get install -y {' '.join(PACKAGES)}")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    done = subprocess.run(cmd, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SlurmUnavailable(f"{' '.join(cmd)} failed (run `apt-get update` first?):\n{done.stderr[-2000:]}")
    if missing_programs():
        raise SlurmUnavailable(f"after installing {' '.join(PACKAGES)} still missing: {', '.join(missing_programs())}")


class LocalSlurm:
    def __init__(self, root: str | Path = DEFAULT_DIR, cpus: int = 32, mem_mb: int = 131072, gpus: int = 4,
                 port: int = 6817):
        self.root = Path(root)
        self.cpus, self.mem_mb, self.gpus, self.port = int(cpus), int(mem_mb), int(gpus), int(port)
        self.host = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"

    # ------------------------------------------------------------------ files
    @property
    def env(self) -> dict[str, str]:
        """What a client (sbatch, squeue, Snakemake) needs to talk to this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def _path(self, name: str) -> Path:
        return self.root / name

    def write_config(self) -> None:
        for d in ("state", "spool", "log", "munge"):
            self._path(d).mkdir(parents=True, exist_ok=True)
        os.chmod(self._path("munge"), 0o700)
        key = self._path("munge/munge.key")
        if not key.exists():
            key.write_bytes(secrets.token_bytes(1024))
            os.chmod(key, 0o400)
        r = self.root
        self.conf.write_text("\n".join([
            "ClusterName=nasrepro-local",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"SlurmctldPort={self.port}",
            f"SlurmdPort={self.port + 1}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={r}/munge/munge.socket",
            f"StateSaveLocation={r}/state",
            f"SlurmdSpoolDir={r}/spool",
            f"SlurmctldPidFile={r}/slurmctld.pid",
            f"SlurmdPidFile={r}/slurmd.pid",
            f"SlurmctldLogFile={r}/log/slurmctld.log",
            f"SlurmdLogFile={r}/log/slurmd.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "SwitchType=switch/none",
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SlurmdParameters=config_overrides",  # advertise the CPUs / memory below, not the machine's
            "GresTypes=gpu",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "MinJobAge=600",  # squeue keeps finished jobs long enough for Snakemake's status checks
            "KillWait=5",
            "InactiveLimit=0",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.mem_mb} "
            f"Gres=gpu:{self.gpus} State=UNKNOWN",
            f"PartitionName=cpu Nodes={self.host} Default=YES MaxTime=INFINITE State=UP",
            f"PartitionName=gpu Nodes={self.host} MaxTime=INFINITE State=UP",
            "",
        ]))
        # A GPU GRES needs a device file per GPU; any character devices do (nothing opens them here).
        if self.gpus > len(FAKE_GPU_DEVICES):
            raise SlurmUnavailable(f"at most {len(FAKE_GPU_DEVICES)} fake GPUs, asked for {self.gpus}")
        (self.root / "gres.conf").write_text("".join(
            f"NodeName={self.host} Name=gpu File={dev}\n" for dev in FAKE_GPU_DEVICES[: self.gpus]))

    # ------------------------------------------------------------------ daemons
    def _pid(self, name: str) -> int | None:
        f = self._path({"munged": "munge/munged.pid"}.get(name, f"{name}.pid"))
        try:
            pid = int(f.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def running(self) -> dict[str, int | None]:
        return {d: self._pid(d) for d in DAEMONS}

    def _run(self, cmd: list[str], what: str) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **self.env})
        if done.returncode != 0:
            log = self._path(f"log/{what}.log")
            tail = log.read_text()[-1500:] if log.exists() else ""
            raise SlurmUnavailable(f"{what} did not start ({' '.join(cmd)}): {done.stderr.strip()[-1500:]}\n{tail}")

    def up(self, timeout: float = 60.0) -> "LocalSlurm":
        if missing_programs():
            raise SlurmUnavailable(f"SLURM is not installed (missing {', '.join(missing_programs())}); run "
                                   f"`python -m nasrepro.tools.local_slurm install` as root "
                                   f"(apt-get install {' '.join(PACKAGES)})")
        self.write_config()
        self._link_system_conf()
        state = self.running()
        m = self.root / "munge"
        if state["munged"] is None:
            self._run(["munged", "--force", f"--key-file={m}/munge.key", f"--socket={m}/munge.socket",
                       f"--pid-file={m}/munged.pid", f"--log-file={m}/munged.log", f"--seed-file={m}/munged.seed"],
                      "munged")
        if state["slurmctld"] is None:
            self._run(["slurmctld", "-f", str(self.conf)], "slurmctld")
        if state["slurmd"] is None:
            self._run(["slurmd", "-f", str(self.conf)], "slurmd")
        self._wait_idle(timeout)
        return self

    def _link_system_conf(self) -> None:
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.resolve() == self.conf.resolve():
            return
        if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
            raise SlurmUnavailable(f"{SYSTEM_CONF} belongs to another SLURM; a local test cluster would be "
                                   "unreachable from Snakemake's job steps. Run the cluster tests on a machine "
                                   "without SLURM, or remove that file")
        try:
            SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
            SYSTEM_CONF.symlink_to(self.conf)
        except OSError as exc:
            raise SlurmUnavailable(f"cannot link {SYSTEM_CONF} to {self.conf} ({exc}); this needs root") from None

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            done = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True,
                                  env={**os.environ, **self.env})
            last = (done.stdout + done.stderr).strip()
            if done.returncode == 0 and last and all(s.rstrip("*") in ("idle", "mixed", "allocated")
                                                     for s in last.split()):
                return
            if "drain" in last or "down" in last:  # e.g. left over from an earlier run: put it back
                subprocess.run(["scontrol", "update", f"nodename={self.host}", "state=resume"],
                               capture_output=True, env={**os.environ, **self.env})
            time.sleep(0.5)
        raise SlurmUnavailable(f"the node did not become idle within {timeout:.0f} s (sinfo: {last!r}); "
                               f"see {self.root}/log/slurmd.log and slurmctld.log")

    def down(self, remove: bool = True) -> None:
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self._pid(name)
            if pid is None:
                continue
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if self._pid(name) is None:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        if SYSTEM_CONF.is_symlink() and Path(os.readlink(SYSTEM_CONF)) == self.conf:
            SYSTEM_CONF.unlink()
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalSlurm":
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc) -> None:
        self.down()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m nasrepro.tools.local_slurm", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["install", "up", "down", "status"])
    p.add_argument("--dir", default=str(DEFAULT_DIR))
    p.add_argument("--cpus", type=int, default=32)
    p.add_argument("--mem-mb", type=int, default=131072)
    p.add_argument("--gpus", type=int, default=4)
    p.add_argument("--port", type=int, default=6817, help="slurmctld port (slurmd takes the next one)")
    args = p.parse_args(argv)
    cluster = LocalSlurm(args.dir, args.cpus, args.mem_mb, args.gpus, args.port)
    try:
        if args.action == "install":
            install()
            print("SLURM and munge are installed")
        elif args.action == "up":
            cluster.up()
            print(f"export SLURM_CONF={cluster.conf}")
        elif args.action == "down":
            cluster.down()
            print("stopped")
        else:
            print({"missing": missing_programs(), "running": cluster.running(), "conf": str(cluster.conf)})
    except SlurmUnavailable as exc:
        print(f"local SLURM: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
