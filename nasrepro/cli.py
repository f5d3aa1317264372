"""Command-line entry point: ``nasrepro <command>``. Snakemake rules call these commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from nasrepro.errors import NasreproError


def _load_cfg(args: argparse.Namespace) -> dict:
    if args.config_json:  # already resolved and validated by the workflow
        return json.loads(Path(args.config_json).read_text())
    from nasrepro import config

    raw = config.load(args.config, _parse_sets(args.set or []))
    return config.resolve(raw)


def _parse_sets(items: Sequence[str]) -> dict:
    import yaml

    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


def _log(msg: str) -> None:
    print(msg, flush=True)


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
    print(text)


def cmd_bench(args: argparse.Namespace) -> None:
    if args.imagenet:
        from nasrepro.tools.bench_imagenet import run_imagenet_bench

        result = run_imagenet_bench(args.device, log=_log)
        _emit(json.dumps(result, indent=2), args.out)
        return
    from nasrepro.tools.bench import format_bench, run_bench

    result = run_bench(args.device, tuple(args.spaces), quick=args.quick, threads=args.threads)
    _emit(json.dumps(result, indent=2) if args.json else format_bench(result), args.out)


def cmd_check_device(args: argparse.Namespace) -> None:
    from nasrepro.tools.device_check import run_checks

    result = run_checks(args.device, args.only, quick=args.quick, log=_log)
    _emit(json.dumps(result, indent=2), args.out)
    if not result["ok"]:
        raise NasreproError("a check failed on this device (see its line above): its results are not exact here")


def cmd_validate_gpu(args: argparse.Namespace) -> None:
    from nasrepro.tools.gpu_validate import run_validation

    result = run_validation(args.data_root, args.out, budget_s=args.budget_s, val_images=args.val_images,
                            config_path=args.config, checks=not args.no_checks, bench=not args.no_bench, log=_log)
    _log(json.dumps(result["rows"], indent=2))


def cmd_prototype_diversity(args: argparse.Namespace) -> None:
    from nasrepro.tools.prototype_diversity import load_features, run

    feats = load_features(args.features) if args.features else None
    rows = run(feats, prototypes=args.prototypes, proto_lr=args.proto_lr, updates=args.updates, every=args.every)
    text = "\n".join(f"{r['assignment']:8s} updates {r['updates']:6d}  mean pairwise prototype distance "
                     f"{r['diversity']:.4g}" for r in rows)
    _emit(json.dumps(rows, indent=2) if args.json else text, args.out)


def cmd_arch(args: argparse.Namespace) -> None:
    from nasrepro.tools.describe import describe_arch

    info = describe_arch(args.space, args.arch)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            print(f"{k:>22}: {v}")


def cmd_resolve_config(args: argparse.Namespace) -> None:
    from nasrepro.io import write_json

    cfg = _load_cfg(args)
    if args.out:
        write_json(args.out, cfg)
    else:
        print(json.dumps(cfg, indent=2))


def cmd_standalone(args: argparse.Namespace) -> None:
    from nasrepro.jobs import run_standalone

    run_standalone(_load_cfg(args), args.space, args.arch, args.seed, args.out, log=_log)


def cmd_retrain(args: argparse.Namespace) -> None:
    from nasrepro.jobs import run_retrain

    run_retrain(_load_cfg(args), args.space, args.summary, args.seed, args.out, log=_log, pick=args.pick)


def cmd_warmup(args: argparse.Namespace) -> None:
    from nasrepro.jobs import run_warmup

    run_warmup(_load_cfg(args), args.space, args.seed, args.out_dir, log=_log)


def cmd_search(args: argparse.Namespace) -> None:
    from nasrepro.jobs import run_search

    run_search(_load_cfg(args), args.space, args.method, args.seed, args.out_dir, args.warmup_outputs, log=_log,
               trained_ground_truth=args.trained_ground_truth)


def cmd_query_search(args: argparse.Namespace) -> None:
    from nasrepro.query.trial import run_trial

    summary = run_trial(_load_cfg(args), args.setting, args.strategy, args.dataset, args.trial, args.out_dir,
                        extract=args.extract)
    _log(f"best {summary['best_value']:.4f} ({summary['objective']}) after {summary['queries']} queries: "
         f"{summary['best_arch']}")


def cmd_query_extract(args: argparse.Namespace) -> None:
    from nasrepro.query.extract import extract

    _log(json.dumps(extract(args.full_benchmark, args.dataset, args.out)))


def cmd_surrogate_study(args: argparse.Namespace) -> None:
    from nasrepro.grammar.surrogate_study import run_study
    from nasrepro.io import write_csv
    from nasrepro.query.objective import load_objective
    from nasrepro.query.trial import query_setting

    cfg = _load_cfg(args)
    study = query_setting(cfg, args.setting)["surrogate_study"]
    objective = load_objective(args.dataset, args.extract, "mean")
    frame = run_study(objective, study["trials"], study["train"], study["test"], study["sizes"], log=_log)
    frame["preset"], frame["config_hash"] = cfg["preset"], cfg["config_hash"]
    write_csv(args.out, frame)


def cmd_table(args: argparse.Namespace) -> None:
    from nasrepro import catalogue
    from nasrepro.io import write_csv

    frame = catalogue.get(args.name, "table").builder(_load_cfg(args), [Path(p) for p in args.inputs])
    write_csv(args.out, frame)
    print(frame.to_string(index=False, max_colwidth=28))


def cmd_figure(args: argparse.Namespace) -> None:
    from nasrepro import catalogue

    build = catalogue.get(args.name, "figure").builder
    pdf = Path(args.pdf)
    build(_load_cfg(args), [Path(p) for p in args.inputs], pdf, Path(args.png or pdf.with_suffix(".png")))


def cmd_verify(args: argparse.Namespace) -> None:
    from nasrepro.tools.verify import verify_nb_macro

    result = verify_nb_macro(workers=args.workers)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list) or len(v) < 20}, indent=2))
    if not result["ok"]:
        raise NasreproError("NAS-Bench-Macro params/FLOPs check failed; see the mismatches above")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nasrepro", description="One-shot NAS reproduction harness")
    sub = p.add_subparsers(dest="command", required=True)

    def with_cfg(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--config-json", help="resolved config written by the workflow (results/<preset>/config.json)")
        g.add_argument("--config", default="config/config.yaml", help="raw YAML config (default config/config.yaml)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a top-level key, e.g. preset=paper")
        return sp

    sp = sub.add_parser("arch", help="params, MACs, ground-truth accuracy and rank of one architecture")
    sp.add_argument("space")
    sp.add_argument("arch")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_arch)

    sp = sub.add_parser("bench", help="measure train, sampler, evaluation and tree-building speed")
    sp.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    sp.add_argument("--json", action="store_true", help="print JSON instead of tables")
    sp.add_argument("--quick", action="store_true", help="shorter runs; skips the N=15,625 tree")
    sp.add_argument("--spaces", nargs="+", default=["pooling", "nb-macro", "nb201", "darts"])
    sp.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own)")
    sp.add_argument("--out", help="also write the output (JSON with --json) to this file")
    sp.add_argument("--imagenet", action="store_true",
                    help="instead: MobileNet at 224 px per FLOPs budget and the projected GPU-days of Table 4 (JSON)")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("check-device", help="check determinism, resume, packed and stacked exactness on a device")
    sp.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    sp.add_argument("--only", nargs="+", help="run only these checks")
    sp.add_argument("--quick", action="store_true", help="smaller models and batches (the same code paths)")
    sp.add_argument("--out", help="also write the JSON result to this file")
    sp.set_defaults(func=cmd_check_device)

    sp = sub.add_parser("validate-gpu", help="paper-scale check on one GPU within a budget: check-device, the CUDA "
                                             "bench, Uniform tau on NB201 and NAS-Bench-Macro beside the thesis")
    sp.add_argument("--data-root", required=True, help="CIFAR-10 folder (batches, cifar10_*.npz or cifar10_jpeg_*.npz)")
    sp.add_argument("--out", default="docs/gpu_validation.json")
    sp.add_argument("--budget-s", type=float, default=540.0, help="wall-clock budget (default 9 minutes)")
    sp.add_argument("--val-images", type=int, default=1024, help="validation images every architecture is ranked on")
    sp.add_argument("--config", default="config/config.yaml")
    sp.add_argument("--no-checks", action="store_true")
    sp.add_argument("--no-bench", action="store_true")
    sp.set_defaults(func=cmd_validate_gpu)

    sp = sub.add_parser("prototype-diversity",
                        help="do Alg. 5.2's density prototypes stay distinct? both readings of Eq. 5.8 (README)")
    sp.add_argument("--features", help="a warm-up job's outputs.npz (default: synthetic clustered vectors)")
    sp.add_argument("--prototypes", type=int, default=100, help="K (default 100, Table 5.3)")
    sp.add_argument("--proto-lr", type=float, default=0.05, help="lambda of Eq. 5.9 (default 0.05)")
    sp.add_argument("--updates", type=int, default=10_000, help="prototype updates (about a paper-length run)")
    sp.add_argument("--every", type=int, default=2000)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--out")
    sp.set_defaults(func=cmd_prototype_diversity)

    sp = sub.add_parser("verify-nb-macro", help="check params and MACs of all 6,561 NAS-Bench-Macro keys")
    sp.add_argument("--workers", type=int, default=2)
    sp.set_defaults(func=cmd_verify)

    sp = with_cfg(sub.add_parser("resolve-config", help="validate the config and print/write the chosen preset"))
    sp.add_argument("--out")
    sp.set_defaults(func=cmd_resolve_config)

    sp = with_cfg(sub.add_parser("train-standalone",
                                 help="train architectures alone (ground truth), concurrently on one device"))
    sp.add_argument("--space", required=True)
    sp.add_argument("--arch", required=True, nargs="+", help="one or more architectures (a pack)")
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_standalone)

    sp = with_cfg(sub.add_parser("retrain", help="retrain a searched network from scratch (its summary.json)"))
    sp.add_argument("--space", required=True)
    sp.add_argument("--summary", required=True, help="summary.json written by `nasrepro search`")
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--pick", default=None, choices=("ea",), help="retrain another selection's network (ea: evolution with supernet "
                                                   "shifting, the summary's ea_arch) instead of the search's choice")
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_retrain)

    sp = with_cfg(sub.add_parser("warmup", help="uniform warm-up supernet and the outputs for tree building"))
    sp.add_argument("--space", required=True)
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--out-dir", required=True)
    sp.set_defaults(func=cmd_warmup)

    sp = with_cfg(sub.add_parser("search", help="train a supernet with a sampling method and select an architecture"))
    sp.add_argument("--space", required=True)
    sp.add_argument("--method", required=True)
    sp.add_argument("--seed", type=int, required=True)
    sp.add_argument("--out-dir", required=True)
    sp.add_argument("--warmup-outputs")
    sp.add_argument("--trained-ground-truth", nargs="*", default=[],
                    help="stand-alone result JSONs, used when the config says ground_truth: trained")
    sp.set_defaults(func=cmd_search)

    sp = with_cfg(sub.add_parser("query-search", help="one query-based (black-box) search trial on a tabular benchmark"))
    sp.add_argument("--setting", required=True, help="a query setting of the preset (presets.<preset>.query)")
    sp.add_argument("--strategy", required=True, help="a strategy under strategies:")
    sp.add_argument("--dataset", required=True)
    sp.add_argument("--trial", type=int, required=True)
    sp.add_argument("--out-dir", required=True)
    sp.add_argument("--extract", help="the full-benchmark extract of nasrepro query-extract (validation error)")
    sp.set_defaults(func=cmd_query_search)

    sp = with_cfg(sub.add_parser("surrogate-study", help="seed 003 Fig. 3: Kendall tau of GP surrogates (hWL, WL) "
                                                         "on growing training sets of NB201 cells"))
    sp.add_argument("--setting", required=True)
    sp.add_argument("--dataset", required=True)
    sp.add_argument("--extract")
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_surrogate_study)

    sp = sub.add_parser("query-extract", help="extract validation accuracy per seed and train time from the full "
                                              "NAS-Bench-201 file, for query-based search")
    sp.add_argument("--full-benchmark", required=True)
    sp.add_argument("--dataset", required=True)
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_query_extract)

    sp = with_cfg(sub.add_parser("table", help="aggregate job outputs into one of the documents' tables"))
    sp.add_argument("name")
    sp.add_argument("--inputs", nargs="*", default=[])
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_table)

    sp = with_cfg(sub.add_parser("figure", help="draw one of the documents' figures (PDF + PNG)"))
    sp.add_argument("name")
    sp.add_argument("--inputs", nargs="*", default=[])
    sp.add_argument("--pdf", required=True)
    sp.add_argument("--png")
    sp.set_defaults(func=cmd_figure)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the ``nasrepro`` command: a local workflow's pre-warmed job server may run it (jobserver)
        from nasrepro.jobserver import run_remote, should_forward

        server = should_forward(sys.argv[1:])
        code = run_remote(server, sys.argv[1:]) if server else None
        if code is not None:
            return code
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except NasreproError as exc:
        print(f"nasrepro: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
