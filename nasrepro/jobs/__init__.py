"""The jobs the workflow runs. Each takes the resolved config and writes its outputs atomically.

Snakemake rules call these through the CLI; they hold all the logic, so it is tested here.

- ``standalone``: stand-alone ground truth (architectures trained alone) and the retraining of a
  found network;
- ``warmup``: the uniformly trained supernet and the architectures' outputs the learned tree clusters;
- ``search``: a supernet trained with one method, the final selection and the ranking.
"""

from nasrepro.jobs.search import run_search
from nasrepro.jobs.standalone import run_retrain, run_standalone
from nasrepro.jobs.warmup import run_warmup

__all__ = ["run_search", "run_standalone", "run_retrain", "run_warmup"]
