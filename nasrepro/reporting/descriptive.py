"""Descriptive tables, built from the code they describe (not copied from the documents): the sampling
methods (paper Table 5 = thesis Table A I-1) from the method registry, and the MobileNet space (thesis
Tables A II-1 and A II-2) from the networks the space builds. The printed values sit beside ours, with a
``matches`` column."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from nasrepro.reporting.tables import tag

NOT_IMPLEMENTED = "not implemented"


# Paper Table 5's "Search Space Structure" for a sampler class's ``structure``
STRUCTURE_NAMES = {"flat": "Flat", "hierarchical": "Hierarchical", "partitioned": "Flat (partitioned)"}


def sampling_methods(pub: dict[str, dict], labels: dict[str, str]) -> Callable:
    """One row per printed method: structure and sampling read from its sampler class (``structure``,
    ``summary``), its tree kind and options in the config's method registry."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        from nasrepro.samplers import sampler_class

        rows = []
        for m, printed in pub.items():
            row = {"method": m, "label": labels.get(m, m)}
            method = cfg["methods"].get(m)
            if method is None:
                row.update(structure=NOT_IMPLEMENTED, tree=None, sampling_method=NOT_IMPLEMENTED)
            else:
                cls = sampler_class(method["sampler"])
                hierarchical = cls.structure == "hierarchical"
                tree = method.get("tree", "default") if hierarchical else None
                text = cls.summary
                reg = float(method.get("sampler_options", {}).get("reg", 0.0))
                if reg > 0:
                    text += f" + regularization (node communication, reg = {reg:g})"
                if hierarchical:
                    text += f"; {tree} tree"
                row.update(structure=STRUCTURE_NAMES[cls.structure], tree=tree, sampling_method=text,
                           sampler=method["sampler"])
            row.update({f"published_{k}": v for k, v in printed.items()})
            row["matches"] = (None if method is None  # a row we do not run has nothing to compare
                              else row["structure"] == printed["structure"] and row["tree"] == printed["tree"])
            rows.append(row)
        return tag(pd.DataFrame(rows), cfg)

    return build


def _trace_mobilenet(resolution: int = 224) -> list[dict]:
    """Input resolution, output channels and stride of every module of the full-width network, found by
    running it on one image (forward hooks), stage by stage as Table A II-1 groups them."""
    import torch

    from nasrepro.spaces.mobilenet import OP_NAMES, MobileNetImageNetSpace, NUM_LAYERS

    arch = tuple([OP_NAMES.index("MB3_K3")] * NUM_LAYERS)  # any op: the layer plan does not depend on it
    fixed = MobileNetImageNetSpace().build_network(arch).eval()
    net = fixed.net
    seen: list[dict] = []

    def hook(name):
        def record(module, args, out):
            x = args[0]
            res_in = int(x.shape[-1]) if x.dim() == 4 else None
            res_out = int(out.shape[-1]) if out.dim() == 4 else None
            seen.append({"op": name, "input": res_in, "channels": int(out.shape[1]) if out.dim() >= 2 else None,
                         "stride": res_in // res_out if res_in and res_out else None})
        return record

    stem_conv, stem_block = net.stem[0], net.stem[-1]
    handles = [stem_conv.register_forward_hook(hook("3x3 conv")), stem_block.register_forward_hook(hook("MB1_K3"))]
    handles += [layer[str(op)].register_forward_hook(hook("choice")) for layer, op in zip(net.layers, arch)]
    head_conv = next(m for m in net.head if isinstance(m, torch.nn.Conv2d))
    pool = next(m for m in net.head if isinstance(m, torch.nn.AdaptiveAvgPool2d))
    handles += [head_conv.register_forward_hook(hook("1x1 conv")), pool.register_forward_hook(hook("avg. pool")),
                net.classifier.register_forward_hook(hook("fc"))]
    with torch.no_grad():
        fixed(torch.zeros(1, 3, resolution, resolution))
    for h in handles:
        h.remove()
    for r in seen:
        if r["op"] in ("avg. pool", "fc"):
            r["channels"] = r["stride"] = None  # Table A II-1 prints "-" there
        if r["op"] == "fc":
            r["input"] = None
    # group consecutive "choice" layers with the same channels: one stage (No. = its layers)
    rows: list[dict] = []
    for r in seen:
        last = rows[-1] if rows else None
        if last and r["op"] == "choice" == last["op"] and r["channels"] == last["channels"]:
            last["no"] += 1
        else:
            rows.append({"no": 1, **r})
    return rows


def mobilenet_macro(pub: list[tuple]) -> Callable:
    """Thesis Table A II-1 from the network: No., Op., Input, Channels, Stride per stage."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        rows = _trace_mobilenet()
        if len(rows) != len(pub):
            raise ValueError(f"the MobileNet network has {len(rows)} stages, Table A II-1 prints {len(pub)}")
        out = []
        for r, (no, op, res, ch, stride) in zip(rows, pub):
            row = {"no": r["no"], "op": r["op"], "input": r["input"], "channels": r["channels"], "stride": r["stride"],
                   "published_no": no, "published_op": op, "published_input": res, "published_channels": ch,
                   "published_stride": stride}
            row["matches"] = all(row[k] == row[f"published_{k}"] for k in ("no", "op", "input", "channels", "stride"))
            out.append(row)
        frame = pd.DataFrame(out)
        for k in ("no", "input", "channels", "stride"):
            frame[f"delta_{k}"] = pd.to_numeric(frame[k]) - pd.to_numeric(frame[f"published_{k}"])
        return tag(frame, cfg)

    return build


def _block_spec(module) -> tuple[int | None, int | None, bool]:
    """(expansion ratio, depthwise kernel, has SE) of a built candidate block; (None, None, False) for ID."""
    import torch

    convs = [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    depthwise = [c for c in convs if c.groups > 1 and c.groups == c.in_channels]
    if not depthwise:
        return None, None, False
    c_in = convs[0].in_channels
    se = any(type(m).__name__ == "SqueezeExcite" for m in module.modules())
    return int(round(depthwise[0].in_channels / c_in)), int(depthwise[0].kernel_size[0]), se


def mobilenet_ops(pub: dict[str, tuple]) -> Callable:
    """Thesis Table A II-2 from the candidate blocks the space builds (inside a stage, 32 -> 32 channels),
    plus the stem's fixed MB1_K3 block. A block type offers SE when both its variants exist."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        from nasrepro.spaces.mobilenet import OP_NAMES, make_op, make_stem

        built: dict[str, list] = {}
        for op, name in enumerate(OP_NAMES):
            exp, kernel, se = _block_spec(make_op(op, 32, 32, 1))
            base = name.replace("_SE", "")
            built.setdefault(base, []).append((exp, kernel, se))
        stem_exp, stem_k, stem_se = _block_spec(make_stem(1.0)[-1])
        built = {"MB1_K3": [(stem_exp, stem_k, stem_se)], **built}
        rows = []
        for block, variants in built.items():
            exp, kernel = variants[0][0], variants[0][1]
            ses = {v[2] for v in variants}
            se = "yes" if ses == {True, False} else ("always" if ses == {True} else "-")
            p_exp, p_kernel, p_se = pub.get(block, (None, None, None))
            rows.append({"block": block, "expansion": exp, "kernel": kernel, "se": se,
                         "published_expansion": p_exp, "published_kernel": p_kernel, "published_se": p_se,
                         "matches": block in pub and (exp, kernel, se) == (p_exp, p_kernel, p_se)})
        frame = pd.DataFrame(rows)
        for k in ("expansion", "kernel"):
            frame[f"delta_{k}"] = pd.to_numeric(frame[k]) - pd.to_numeric(frame[f"published_{k}"])
        return tag(frame, cfg)

    return build



def feature_map_sizes(space_name: str) -> list[int]:
    """The feature-map sizes of a pooling space's default network, traced by running it (at 1/16 width) on
    one image of the backbone's input size: the output size of each searched layer, in order, deduplicated."""
    import torch

    from nasrepro.spaces import get_space

    space = get_space(space_name)
    net = space.build_supernet(num_classes=10, width=1 / 16).eval()
    size = space.backbone.input_size
    sizes = []
    with torch.no_grad():
        h = net.begin(torch.zeros(1, 3, size, size))
        for j, flag in enumerate(space.default_arch()):
            sizes.append(int(net.layers[j](h).shape[-1]))
            h = net.advance(h, j, flag)
        sizes.append(int(net.layers[-1](h).shape[-1]))
    return list(dict.fromkeys(sizes))


def pooling_spaces(pub: dict[str, dict]) -> Callable:
    """Thesis Table 2.7: each pooling space's backbone, traced feature-map sizes, searched layers, poolings and
    size, counted from the space (``C(layers - 1, poolings)`` enumerated), beside the printed row."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        from nasrepro.spaces import get_space

        rows = []
        for name, printed in pub.items():
            space = get_space(name)
            backbone = space.backbone
            row = {"space": name, "backbone": backbone.name, "dataset": printed["dataset"],
                   "feature_maps": "[" + ",".join(map(str, feature_map_sizes(name))) + "]",
                   "layers": backbone.num_layers, "poolings": backbone.pools, "size": space.size(),
                   "default_arch": space.format(space.default_arch()), "input_size": backbone.input_size}
            row.update({f"published_{k}": v for k, v in printed.items()})
            for k in ("layers", "poolings", "size"):
                row[f"delta_{k}"] = row[k] - printed[k]
            row["matches"] = all(row[k] == printed[k] for k in ("backbone", "feature_maps", "layers", "poolings", "size"))
            rows.append(row)
        return tag(pd.DataFrame(rows), cfg)

    return build
