import os

import torch

# Two cores, several test processes: one torch thread each keeps timings stable.
torch.set_num_threads(1)
os.environ.setdefault("NASREPRO_CACHE", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "nasrepro"))


def pytest_collection_modifyitems(items):
    """Cluster tests first (a stable sort keeps every other order): they mostly wait on the SLURM queue, so
    with two workers (pyproject's ``-n 2 --dist loadfile``) the other worker's tests run meanwhile."""
    items.sort(key=lambda item: item.get_closest_marker("cluster") is None)
