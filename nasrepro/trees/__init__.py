"""Search trees for MCTS: the ``Tree`` structure and its builders, by kind. A new kind is one builder
function plus one line here, or a plug-in named in the config as ``"package.module:function"``; a builder
that reads the warm-up supernet's outputs is marked ``@from_warmup``."""

from nasrepro.trees.build import (LINKAGES, TreeBuildError, TreeInputs, build_tree, needs_warmup_outputs,
                                  pairwise_output_distances, tree_builder)
from nasrepro.trees.tree import Tree

TREES: dict[str, str] = {
    "default": "nasrepro.trees.build:default_tree",
    "learned": "nasrepro.trees.build:learned_tree",
    "accuracy": "nasrepro.trees.build:accuracy_tree",
    "ranking": "nasrepro.trees.build:ranking_tree",
    "random": "nasrepro.trees.build:random_tree",
    "onehot": "nasrepro.trees.build:encoding_tree",
    "vector": "nasrepro.trees.build:encoding_tree",
}

__all__ = ["LINKAGES", "TREES", "Tree", "TreeBuildError", "TreeInputs", "build_tree", "needs_warmup_outputs",
           "pairwise_output_distances", "tree_builder"]
