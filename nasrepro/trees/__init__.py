"""Search trees for MCTS: the ``Tree`` structure and ``build_tree`` (default, learned, accuracy, random, encodings)."""

from nasrepro.trees.build import FROM_WARMUP, KINDS, LINKAGES, TreeBuildError, build_tree, pairwise_output_distances
from nasrepro.trees.tree import Tree

__all__ = ["FROM_WARMUP", "KINDS", "LINKAGES", "Tree", "TreeBuildError", "build_tree", "pairwise_output_distances"]
