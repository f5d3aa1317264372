"""Two gloo processes training a supernet with DDP match a single process running the same slices."""

import os
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from nasrepro.spaces import get_space
from nasrepro.training import distributed as ddp

STEPS, BATCH, WORLD = 3, 8, 2


def problem():
    torch.manual_seed(0)
    space = get_space("nb-macro")
    net = space.build_supernet(width=0.125)
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randn(BATCH, 3, 32, 32, generator=g), torch.randint(0, 10, (BATCH,), generator=g))
               for _ in range(STEPS)]
    rng = np.random.default_rng(7)  # every rank draws the same paths from the same seed
    archs = [space.enumerate()[int(rng.integers(len(space.enumerate())))] for _ in range(STEPS)]
    return net, batches, archs


def train_steps(model, opt, batches, archs, rank, world):
    """The reference DDP loop: one optimiser step per (global batch, architecture) on every rank."""
    for (x, y), arch in zip(batches, archs):
        logits = model(ddp.rank_slice(x, rank, world), arch)
        loss = torch.nn.functional.cross_entropy(logits, ddp.rank_slice(y, rank, world))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def worker(rank: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD))
    torch.set_num_threads(1)
    r, w = ddp.init_from_env("gloo")
    net, batches, archs = problem()
    model = ddp.wrap(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    train_steps(model, opt, iter(batches), archs, r, w)
    if r == 0:
        torch.save({k: v for k, v in net.named_parameters()}, out)
    dist.barrier()
    dist.destroy_process_group()


def launch(fn, *args) -> None:
    """The ranks as forked processes: a fork inherits the imported torch and this module, which a spawned
    rank re-imports (seconds each), as the job server's forked jobs do."""
    mp.start_processes(fn, args=args, nprocs=WORLD, join=True, start_method="fork")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.workflow  # forks the ranks as processes
def test_ddp_two_ranks_equal_single_process_micro_batches(tmp_path):
    out = str(tmp_path / "ddp.pt")
    launch(worker, free_port(), out)
    ddp_params = torch.load(out, weights_only=True)

    net, batches, archs = problem()
    initial = {k: v.detach().clone() for k, v in net.named_parameters()}
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for (x, y), arch in zip(batches, archs):
        opt.zero_grad(set_to_none=True)
        for r in range(WORLD):  # each rank's slice is normalised on its own, as in DDP
            loss = torch.nn.functional.cross_entropy(net(ddp.rank_slice(x, r, WORLD), arch), ddp.rank_slice(y, r, WORLD))
            (loss / WORLD).backward()
        opt.step()
    changed = 0
    for name, p in net.named_parameters():
        assert torch.allclose(p, ddp_params[name], atol=1e-5), name
        changed += int(not torch.equal(p, initial[name]))
    assert changed > 10  # training really moved the weights, so the comparison is not vacuous


def test_rank_slices_partition_the_batch():
    x = torch.arange(12)
    assert torch.equal(torch.cat([ddp.rank_slice(x, r, 3) for r in range(3)]), x)
    with pytest.raises(ValueError, match="divide"):
        ddp.rank_slice(torch.arange(5), 0, 2)


def trainer_worker(rank: int, port: int, out_dir: str, stop_after: int | None) -> None:
    """SupernetTrainer under a 2-rank process group, with an MCTS sampler fed by validation rewards."""
    from nasrepro.testing import tiny_trainer
    from nasrepro.training.supernet import Phase

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD))
    torch.set_num_threads(1)
    ddp.init_from_env("gloo")
    trainer = tiny_trainer("nb-macro", "mcts", [Phase("explore", 0.5), Phase("sample", 0.5)], epochs=2,
                           train_images=32, val_images=32, data_seed=3, checkpoint=f"{out_dir}/ck.pt")
    sampler = trainer.sampler
    trainer.resume_if_possible()
    result = trainer.run(stop_after_epoch=stop_after)
    torch.save({"weights": {k: v.detach().clone() for k, v in trainer.model.state_dict().items()},
                "visits": torch.from_numpy(result.visits), "values": torch.from_numpy(sampler.value.copy())},
               f"{out_dir}/rank{rank}.pt")
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.workflow  # forks the ranks as processes
def test_trainer_ranks_train_the_same_paths_and_resume(tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    full.mkdir(), cut.mkdir()
    launch(trainer_worker, free_port(), str(full), None)
    r0, r1 = (torch.load(full / f"rank{r}.pt", weights_only=True) for r in range(WORLD))
    assert torch.equal(r0["visits"], r1["visits"]) and r0["visits"].sum() == 4  # same path at every step
    assert torch.equal(r0["values"], r1["values"])  # rewards averaged across ranks: identical samplers
    for k in r0["weights"]:
        if r0["weights"][k].is_floating_point() and "running" not in k:
            torch.testing.assert_close(r0["weights"][k], r1["weights"][k], rtol=0, atol=1e-6)
    # killed after epoch 1, relaunched: rank 0's checkpoint brings both ranks back to the same run
    launch(trainer_worker, free_port(), str(cut), 1)
    launch(trainer_worker, free_port(), str(cut), None)
    for rank in range(WORLD):
        resumed = torch.load(cut / f"rank{rank}.pt", weights_only=True)
        assert torch.equal(resumed["visits"], r0["visits"])
        for k, v in r0["weights"].items():
            # BN running buffers are per rank (unused: supernet paths are scored with batch statistics)
            if rank == 0 or "running" not in k and "num_batches" not in k:
                torch.testing.assert_close(resumed["weights"][k], v, rtol=0, atol=1e-6)
