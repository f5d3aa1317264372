"""Search trees: default trie, learned (output distances + linkage), accuracy split, random, encodings."""

import io
import itertools

import numpy as np
import pytest
import torch
from scipy.cluster.hierarchy import cophenet, is_valid_linkage, linkage
from scipy.spatial.distance import pdist

from nasrepro.spaces.pooling import PoolingSpace
from nasrepro.trees import Tree, TreeBuildError, build_tree, pairwise_output_distances
from nasrepro.trees.build import condensed_index


def product(choices):
    return np.array(list(itertools.product(*[range(c) for c in choices])), dtype=np.int64)


def subtree_leaf_sets(tree: Tree) -> set[frozenset]:
    return {frozenset(tree.leaves_under(v).tolist()) for v in range(tree.num_nodes)}


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------------------- default tree
def test_default_tree_reproduces_decisions():
    rng = np.random.default_rng(0)
    paths = product([3, 2, 4])[rng.permutation(24)]
    tree, info = build_tree("default", tree_paths=paths)
    assert info["kind"] == "default"
    assert tree.num_leaves == 24 and tree.num_nodes == 1 + 3 + 6 + 24
    assert len(tree.children[tree.root]) == 3
    for i in range(24):
        path = tree.path(i)
        assert path[0] == tree.root and tree.leaf_index[path[-1]] == i
        np.testing.assert_array_equal(tree.op[path[1:]], paths[i])
        np.testing.assert_array_equal(tree.depth[path], np.arange(4))
    # children are ordered by option
    for v in range(tree.num_nodes):
        ops = tree.op[list(tree.children[v])]
        assert np.all(np.diff(ops) > 0)


def test_default_tree_rejects_duplicate_paths():
    with pytest.raises(TreeBuildError, match="not unique"):
        build_tree("default", tree_paths=np.array([[0, 1], [1, 0], [0, 1]]))


def test_pooling_default_tree_is_layer_by_layer():
    space = PoolingSpace()
    flags = space.encodings()
    tree, _ = build_tree("default", tree_paths=space.tree_paths())
    assert tree.num_leaves == 36 and tree.max_depth == 9
    assert tree.num_children.max() == 2 and (tree.num_children == 1).any()  # pruned invalid branches
    for i in range(36):
        path = tree.path(i)
        np.testing.assert_array_equal(tree.op[path[1:]], flags[i])
        assert tree.op[path[1:]].sum() == 2


def test_equivalence_classes_group_same_level_and_operation():
    tree, _ = build_tree("default", tree_paths=product([2, 3]))
    node_class, ptr, nodes = tree.equivalence_classes()
    assert node_class[tree.root] == -1
    assert ptr.size - 1 == 2 + 3  # level 1: options {0,1}; level 2: options {0,1,2}
    for c in range(ptr.size - 1):
        members = nodes[ptr[c] : ptr[c + 1]]
        assert len(set(tree.depth[members].tolist())) == 1 and len(set(tree.op[members].tolist())) == 1
    level2 = nodes[ptr[2] : ptr[3]]
    assert level2.size == 2  # option 0 of the second decision under both first options


# ---------------------------------------------------------------------------- distances
def test_kl_is_symmetric_nonnegative_and_zero_on_identical_outputs():
    rng = np.random.default_rng(1)
    out = rng.normal(size=(6, 5, 4)) * 2
    out[3] = out[1]
    d = pairwise_output_distances(out, "kl", chunk_size=2)
    p = softmax(out)

    def kl(a, b):
        return float((a * (np.log(a) - np.log(b))).sum(-1).mean())

    k = 0
    for i in range(6):
        for j in range(i + 1, 6):
            expected = 0.5 * (kl(p[i], p[j]) + kl(p[j], p[i]))
            assert d[k] == pytest.approx(expected, rel=1e-9, abs=1e-12)
            # symmetric: swapping the two architectures gives the same value
            swapped = pairwise_output_distances(out[[j, i]], "kl")[0]
            assert swapped == pytest.approx(d[k], rel=1e-12, abs=1e-15)
            k += 1
    assert np.all(d >= 0)
    same = condensed_index(6, 1, 3)  # identical outputs
    assert d[same] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.delete(d, same) > 1e-3)


def test_l2_and_cross_entropy_match_direct_formulas():
    rng = np.random.default_rng(2)
    out = rng.normal(size=(7, 3, 5))
    p = softmax(out)
    l2 = pairwise_output_distances(out, "l2", chunk_size=3)
    np.testing.assert_allclose(l2, pdist(p.reshape(7, -1)), rtol=1e-9, atol=1e-12)
    ce = pairwise_output_distances(out, "ce")
    i, j = 2, 5
    h = lambda a, b: float(-(a * np.log(b)).sum(-1).mean())  # noqa: E731
    assert ce[condensed_index(7, i, j)] == pytest.approx(0.5 * (h(p[i], p[j]) + h(p[j], p[i])), rel=1e-9)


def test_chunked_distances_equal_single_block():
    rng = np.random.default_rng(3)
    out = rng.normal(size=(23, 4, 6))
    for dist in ("l2", "kl", "ce"):
        a = pairwise_output_distances(out, dist, chunk_size=1)
        b = pairwise_output_distances(out, dist, chunk_size=5)
        c = pairwise_output_distances(out, dist, chunk_size=100)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, c, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------- learned tree
@pytest.mark.parametrize("dist", ["kl", "l2", "ce"])
@pytest.mark.parametrize("method", ["average", "single", "complete"])
def test_learned_tree_groups_planted_clusters(dist, method):
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(3, 8, 10)) * 3
    labels = rng.permutation(np.repeat(np.arange(3), [5, 7, 9]))
    out = centres[labels] + rng.normal(size=(21, 8, 10)) * 0.05
    tree, info = build_tree("learned", outputs=out, distance=dist, linkage=method)
    assert tree.is_binary() and tree.num_leaves == 21
    sets = subtree_leaf_sets(tree)
    for c in range(3):
        assert frozenset(np.flatnonzero(labels == c).tolist()) in sets
    assert info["distance"] == dist and info["linkage"] == method
    assert info["condensed"].shape == (21 * 20 // 2,)
    assert info["cophenetic_correlation"] > 0.9


def test_learned_tree_matches_scipy_and_reports_cophenetic_correlation():
    rng = np.random.default_rng(5)
    out = rng.normal(size=(30, 4, 10))
    tree, info = build_tree("learned", outputs=torch.as_tensor(out), distance="l2", linkage="average")
    d = pdist(softmax(out).reshape(30, -1))
    z = linkage(d, "average")
    np.testing.assert_allclose(info["linkage_matrix"], z, rtol=1e-9, atol=1e-12)
    assert info["cophenetic_correlation"] == pytest.approx(cophenet(z, d)[0], rel=1e-9)
    assert Tree.from_linkage(z).same_structure(tree)


def test_ward_on_kl_is_allowed_and_flagged():
    """Paper Table 9 uses ward on the Pooling KL matrix; the tree is built and the info says so."""
    out = np.random.default_rng(0).normal(size=(10, 4, 3))
    tree, info = build_tree("learned", outputs=out, distance="kl", linkage="ward")
    assert tree.num_leaves == 10 and info["ward_on_non_euclidean"]
    tree, info = build_tree("learned", outputs=out, distance="l2", linkage="ward")
    assert tree.num_leaves == 10 and info["linkage"] == "ward" and "ward_on_non_euclidean" not in info


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match="unknown tree kind"):
        build_tree("nope", encodings=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="needs outputs"):
        build_tree("learned")
    with pytest.raises(ValueError, match="unknown linkage"):
        build_tree("learned", outputs=np.zeros((3, 1, 2)), linkage="median")
    with pytest.raises(ValueError, match="unknown output distance"):
        build_tree("learned", outputs=np.zeros((3, 1, 2)), distance="cosine")


# ---------------------------------------------------------------------------- accuracy / random / encodings
def test_accuracy_tree_splits_top_and_bottom_halves():
    rng = np.random.default_rng(7)
    acc = rng.random(13)
    tree, _ = build_tree("accuracy", accuracies=acc)
    assert tree.is_binary() and tree.num_leaves == 13
    order = np.argsort(-acc)
    good, bad = tree.children[tree.root]
    assert set(tree.leaves_under(good).tolist()) == set(order[:7].tolist())
    assert set(tree.leaves_under(bad).tolist()) == set(order[7:].tolist())
    # recursively: every internal node splits its set into its better and worse halves
    for v in range(tree.num_nodes):
        if tree.children[v]:
            a, b = (tree.leaves_under(c) for c in tree.children[v])
            assert acc[a].min() > acc[b].max()
            assert a.size - b.size in (0, 1)
    assert tree.max_depth == int(np.ceil(np.log2(13)))


def _leaf_sets(tree, ranks):
    """Every internal node as (ranks of its better child, ranks of its worse child), as sorted tuples."""
    out = set()
    for v in range(tree.num_nodes):
        if tree.children[v]:
            a, b = (tuple(sorted(ranks[tree.leaves_under(c)].tolist())) for c in tree.children[v])
            out.add((a, b))
    return out


def test_ranking_tree_merges_bottom_up_level_by_level():
    """Thesis §4.3.3, by hand: N = 5 pairs ranks (1,2), (3,4), carries 5, pairs the pairs, then joins 5."""
    acc = np.array([0.5, 0.9, 0.1, 0.7, 0.3])  # ranks: index 1 -> 1, 3 -> 2, 0 -> 3, 4 -> 4, 2 -> 5
    ranks = np.empty(5, dtype=np.int64)
    ranks[np.argsort(-acc)] = np.arange(1, 6)
    tree, _ = build_tree("ranking", accuracies=acc)
    assert tree.is_binary() and tree.num_leaves == 5
    assert _leaf_sets(tree, ranks) == {((1,), (2,)), ((3,), (4,)), ((1, 2), (3, 4)), ((1, 2, 3, 4), (5,))}
    # children are (better, worse): the first child of every node holds the better ranks
    for v in range(tree.num_nodes):
        if tree.children[v]:
            a, b = (ranks[tree.leaves_under(c)] for c in tree.children[v])
            assert a.max() < b.min()


def test_ranking_tree_equals_halving_only_for_powers_of_two():
    rng = np.random.default_rng(3)
    for n in (8, 16, 36):
        acc = rng.random(n)
        ranks = np.empty(n, dtype=np.int64)
        ranks[np.argsort(-acc)] = np.arange(1, n + 1)
        merged, _ = build_tree("ranking", accuracies=acc)
        halved, _ = build_tree("accuracy", accuracies=acc)
        same = _leaf_sets(merged, ranks) == _leaf_sets(halved, ranks)
        assert same == (n & (n - 1) == 0), n
    # N = 36 (Pooling): 18 pairs, 9 quads, then 4 + 1 carried ... the four worst join at the root
    top, bottom = (set(ranks[merged.leaves_under(c)].tolist()) for c in merged.children[merged.root])
    assert top == set(range(1, 33)) and bottom == set(range(33, 37))
    assert merged.max_depth == int(np.ceil(np.log2(36)))


def test_random_tree_is_seeded():
    enc = np.zeros((40, 2), dtype=np.int64)
    t1, i1 = build_tree("random", encodings=enc, seed=3)
    t2, _ = build_tree("random", encodings=enc, seed=3)
    t3, _ = build_tree("random", encodings=enc, seed=4)
    assert t1.is_binary() and t1.num_leaves == 40
    assert t1.same_structure(t2) and not t1.same_structure(t3)
    assert i1["distance"] == "random" and i1["condensed"].size == 40 * 39 // 2


def test_encoding_trees_and_exponential_layer_weighting():
    rng = np.random.default_rng(8)
    enc = product([3, 3, 3, 3])[rng.permutation(81)]
    # strong decay: a difference in the first decision outweighs all later ones together
    for kind in ("onehot", "vector"):
        tree, info = build_tree(kind, encodings=enc, layer_weighting=True, layer_decay=0.1)
        sets = subtree_leaf_sets(tree)
        for option in range(3):
            assert frozenset(np.flatnonzero(enc[:, 0] == option).tolist()) in sets
        assert info["layer_weighting"] and info["layer_decay"] == 0.1 and info["distance"] == "l2"
    # on the Pooling flags weighting changes the tree, and one-hot differs from the categorical vector
    flags = PoolingSpace().encodings()
    plain, _ = build_tree("onehot", encodings=flags, distance="kl")  # output-only distance -> L2
    weighted, _ = build_tree("onehot", encodings=flags, layer_weighting=True)
    assert not plain.same_structure(weighted)
    ham, info = build_tree("vector", encodings=enc, distance="hamming")
    assert info["distance"] == "hamming" and ham.num_leaves == 81


# ---------------------------------------------------------------------------- Tree object
def test_tree_state_dict_round_trip_and_linkage_export():
    out = np.random.default_rng(9).normal(size=(25, 3, 4))
    tree, _ = build_tree("learned", outputs=out, distance="kl")
    buf = io.BytesIO()
    torch.save(tree.state_dict(), buf)
    buf.seek(0)
    back = Tree.from_state_dict(torch.load(buf, weights_only=True))
    assert back.same_structure(tree)
    np.testing.assert_array_equal(back.path_nodes, tree.path_nodes)
    z = tree.to_linkage()
    assert is_valid_linkage(z)
    assert Tree.from_linkage(z).num_leaves == 25
    assert subtree_leaf_sets(Tree.from_linkage(z)) == subtree_leaf_sets(tree)
    default, _ = build_tree("default", tree_paths=product([2, 3]))
    with pytest.raises(ValueError, match="binary"):
        default.to_linkage()


def test_tree_validation():
    with pytest.raises(ValueError, match="exactly one root"):
        Tree(parent=[-1, -1], leaf_index=[0, 1])
    with pytest.raises(ValueError, match="population indices"):
        Tree(parent=[-1, 0, 0], leaf_index=[-1, 0, 0])
    t = Tree(parent=[-1, 0, 0, 1, 1], leaf_index=[-1, -1, 2, 0, 1])
    np.testing.assert_array_equal(t.path(1), [0, 1, 4])
    np.testing.assert_array_equal(t.leaf_depths, [2, 2, 1])


def test_tree_kinds_come_from_a_registry_and_a_plugin_builder_plugs_in(tmp_path, monkeypatch):
    from nasrepro.trees import TREES, needs_warmup_outputs, tree_builder

    assert {k for k in TREES if needs_warmup_outputs(k)} == {"learned", "accuracy", "ranking"}  # Algorithm 1's warm-up
    assert not needs_warmup_outputs(None)
    (tmp_path / "mytrees.py").write_text(
        "from nasrepro.trees import Tree\n"
        "from nasrepro.trees.build import from_warmup\n\n"
        "@from_warmup\n"
        "def by_first_output(kind, inp):\n"
        "    import numpy as np\n"
        "    order = np.argsort(-inp.need('outputs', kind)[:, 0, 0], kind='stable')\n"
        "    return Tree.from_paths(np.argsort(order)[:, None]), {'rule': 'first logit'}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert needs_warmup_outputs("mytrees:by_first_output")
    outputs = np.array([[[0.2]], [[0.9]], [[0.5]]])
    tree, info = build_tree("mytrees:by_first_output", outputs=outputs)
    assert info["kind"] == "mytrees:by_first_output" and info["rule"] == "first logit"
    assert sorted(tree.leaf_index[tree.leaf_index >= 0].tolist()) == [0, 1, 2]
    with pytest.raises(TreeBuildError, match="needs outputs="):
        build_tree("mytrees:by_first_output")
    with pytest.raises(TreeBuildError, match="unknown tree kind 'nope'"):
        build_tree("nope")
    assert tree_builder("default") is tree_builder("nasrepro.trees.build:default_tree")
