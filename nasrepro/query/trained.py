"""Queries answered by training: the hierarchical arm of seed 003, where no table exists.

``GrammarTerms`` is the query space of a grammar: its "cells" are terms. ``TrainedObjective`` answers a
query by assembling the term's network (``nasrepro.grammar.network``) and training it with the setting's
``train`` protocol (the NB201 protocol of seed 003 App. J.3 at paper scale: SGD lr 0.1, Nesterov momentum
0.9, weight decay 5e-4, cosine, batch 256, 200 epochs, 16 channels, crop + flip) on the train half of the
NAS split, then reports the **validation** error on the other half (what BANAT optimises, Alg. 1) and,
beside it, the test error on the test split (Table 3's number) and the training seconds (the cost).

Each training checkpoints beside the trial (``eval<n>.ckpt.pt``), so a killed trial resumes the network it
was training; finished queries are replayed from the query log, never retrained.

Deviation: NB201 validates CIFAR-100 and ImageNet16-120 on halves of their test sets; here every dataset
uses the harness's 50/50 split of the training set (CIFAR-10's protocol).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from nasrepro.grammar.cfg import Grammar
from nasrepro.grammar.grammars import get_grammar
from nasrepro.grammar.terms import Term


class GrammarTerms:
    name = "grammar"

    def __init__(self, grammar: str):
        self.grammar_name = grammar
        self.grammar: Grammar = get_grammar(grammar)

    def check(self, arch) -> Term:
        if isinstance(arch, Term):
            return arch
        return self.grammar.parse_term(str(arch))

    def format(self, term: Term) -> str:
        return self.check(term).text()

    encode = format

    def random(self, rng: np.random.Generator) -> Term:
        return self.grammar.sample(rng)


class TrainedObjective:
    reading = "trained"

    def __init__(self, cfg: dict, scfg: dict, dataset: str, work_dir: str | Path, log: Callable = print):
        from nasrepro.data.source import load_source
        from nasrepro.data.splits import nas_split
        from nasrepro.runtime import runtime_from_config

        self.cfg, self.scfg, self.dataset, self.log = cfg, {**scfg, "dataset": dataset}, dataset, log
        self.work_dir = Path(work_dir)
        self.runtime = runtime_from_config(cfg)
        self.split = nas_split(cfg, self.scfg)
        self.test, _ = load_source(dataset, cfg, "test", scfg.get("resolution"))
        tr = scfg["train"]
        self.metric = (f"validation error (%) on {dataset} of the network assembled from the term, trained "
                       f"{tr['epochs']} epochs (batch {tr['batch_size']}, lr {tr['lr']}) on the train half")
        self.queries = 0
        self._extras: dict = {}

    def describe(self) -> str:
        return self.metric

    def optimum(self) -> float:
        return float("nan")  # unknown without training every term

    def answer(self, term: Term, rng: np.random.Generator) -> tuple[float, None]:
        import time

        from nasrepro.config import config_hash
        from nasrepro.data.splits import make_loader
        from nasrepro.evaluation.evaluate import evaluate_architectures
        from nasrepro.data.splits import eval_tensors
        from nasrepro.grammar.network import TermNetwork, parameter_count
        from nasrepro.jobs.standalone import test_accuracy
        from nasrepro.runtime import seed_everything
        from nasrepro.training.optim import OptimConfig
        from nasrepro.training.supernet import Phase, SupernetTrainer

        # the one draw per query the oracle's stream expects (Objective.answer; a replayed query draws the same)
        seed = int(rng.random() * (2**31 - 1))
        self.queries += 1
        optim = OptimConfig.from_dict(self.scfg["train"])
        train_rng = seed_everything(seed)
        net = TermNetwork(term, self.split.num_classes, int(self.scfg.get("channels", 16)))
        loader = make_loader(self.scfg, self.split.train, optim.batch_size, self.runtime, seed, augment=True)
        ckpt = self.work_dir / f"eval{self.queries}.ckpt.pt"
        start = time.perf_counter()
        trainer = SupernetTrainer(net, [()], None, [Phase("uniform", 1.0)], optim, self.runtime, loader, None,
                                  train_rng, checkpoint=ckpt, log=lambda m: self.log(f"[query {self.queries}] {m}"),
                                  fingerprint=config_hash([term.text(), self.scfg["train"], seed]))
        trainer.resume_if_possible()
        trainer.run()
        ev = self.scfg.get("evaluation", {})
        vx, vy = eval_tensors(self.scfg, self.split.val, self.runtime, ev.get("val_images"))
        val_acc = float(evaluate_architectures(trainer.model, [()], vx, vy, self.runtime, ev.get("batch_size", 256),
                                               use_batch_stats=False)[0])
        test_acc, _ = test_accuracy({**self.scfg, "evaluation": {"batch_size": ev.get("batch_size", 256)}},
                                    trainer.model, (), self.test, self.runtime, ev.get("test_images"))
        self._extras = {"test_error": 100.0 - test_acc, "params": parameter_count(net), "train_seed": seed,
                        "train_seconds": time.perf_counter() - start}
        ckpt.unlink(missing_ok=True)
        return 100.0 - val_acc, None

    def cost_of(self, term: Term) -> float:
        return float(self._extras.get("train_seconds", 0.0))

    def extras(self, term: Term) -> dict:
        return dict(self._extras)


__all__ = ["GrammarTerms", "TrainedObjective"]
