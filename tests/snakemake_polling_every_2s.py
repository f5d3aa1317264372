"""``python -m snakemake`` for the cluster tests, with SLURM status checks every 2 s throughout.

The SLURM executor plugin waits 10 s longer after every status check that finds no finished job (up to
180 s), so a chain of short test jobs spends most of its time asleep. A site keeps that back-off (it spares
``slurmctld``); the tests poll at a constant 2 s. Nothing else differs from the shipped command.
"""

import asyncio

from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

POLL_SECONDS = 2.0


async def _sleep(self) -> None:
    await asyncio.sleep(POLL_SECONDS)


RemoteExecutor.sleep = _sleep

if __name__ == "__main__":
    from snakemake.cli import main

    main()
