"""Algebraic architecture terms: derivation trees, their topology, folds and labelled graphs (seed 003).

* ``Term``: an operator (``head``) applied to subterms, remembering the nonterminal it was derived from
  (``symbol``; None for a terminal written directly in a production).
* ``connected``: whether a term's network has a path from input to output. ``Linear_n`` chains its
  arguments; ``Residual_n`` chains the first n and adds the last as a skip; ``Cell`` is the NAS-Bench-201
  DAG of six edges (0-1, 0-2, 1-2, 0-3, 1-3, 2-3, the benchmark's arch-string order); ``zero`` cuts.
* ``fold(term, l)``: F_l of §3, the term cut below hierarchical level l (a cut subterm keeps its head as a
  label): for Linear(Residual(conv, id, conv), Residual(conv, id, conv), fc), F_1 = Linear and
  F_2 = Linear(Residual, Residual, fc).
* ``graph(term)``: Phi, the labelled DAG of the term's computation: one node per primitive (or cut
  subterm) labelled with its name, ``input`` and ``output`` nodes, and a node ``add`` for each inner
  node of a Cell (NB201 sums the edges into a node). ``zero`` edges are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

CELL_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
ZERO = "zero"


@dataclass(frozen=True)
class Term:
    symbol: str | None
    head: str
    children: tuple["Term", ...] = ()

    def text(self) -> str:
        return self.head + (f"({', '.join(c.text() for c in self.children)})" if self.children else "")

    __str__ = text

    def subterms(self, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], "Term"]]:
        yield path, self
        for i, c in enumerate(self.children):
            yield from c.subterms(path + (i,))

    def at(self, path: tuple[int, ...]) -> "Term":
        t = self
        for i in path:
            t = t.children[i]
        return t

    def replace(self, path: tuple[int, ...], new: "Term") -> "Term":
        if not path:
            return new
        i = path[0]
        kids = list(self.children)
        kids[i] = kids[i].replace(path[1:], new)
        return Term(self.symbol, self.head, tuple(kids))

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    def leaves(self) -> list[str]:
        return [s.head for _, s in self.subterms() if not s.children]


def kind(head: str) -> str:
    """Topology of an operator: linear, residual or cell (a primitive has no children)."""
    for prefix in ("Linear", "Residual", "Cell"):
        if head.startswith(prefix):
            return prefix.lower()
    raise ValueError(f"operator {head!r} has no known topology (Linear_n, Residual_n or Cell)")


def connected(term: Term) -> bool:
    if not term.children:
        return term.head != ZERO
    k = kind(term.head)
    parts = [connected(c) for c in term.children]
    if k == "linear":
        return all(parts)
    if k == "residual":
        return all(parts[:-1]) or parts[-1]
    if len(parts) != len(CELL_EDGES):
        raise ValueError(f"a Cell takes {len(CELL_EDGES)} operations (one per NAS-Bench-201 edge), got {len(parts)}")
    reach = {0}
    for (src, dst), ok in zip(CELL_EDGES, parts):  # edges are in topological order of their targets
        if ok and src in reach:
            reach.add(dst)
    return 3 in reach


def fold(term: Term, level: int) -> Term:
    """F_l: the term down to hierarchical level ``level`` (1 = the root operator alone)."""
    if level <= 1 or not term.children:
        return Term(term.symbol, term.head, ())
    return Term(term.symbol, term.head, tuple(fold(c, level - 1) for c in term.children))


class _Builder:
    def __init__(self) -> None:
        self.labels: list[str] = []
        self.edges: set[tuple[int, int]] = set()

    def node(self, label: str) -> int:
        self.labels.append(label)
        return len(self.labels) - 1

    def link(self, outs: list[int], ins: list[int]) -> None:
        self.edges.update((u, v) for u in outs for v in ins)

    def build(self, term: Term) -> tuple[list[int], list[int]]:
        """(entry nodes, exit nodes) of the term's subgraph; both empty when it carries nothing."""
        if not term.children:
            if term.head == ZERO:
                return [], []
            n = self.node(term.head)
            return [n], [n]
        k = kind(term.head)
        if k in ("linear", "residual"):
            main = term.children if k == "linear" else term.children[:-1]
            ins, outs = self.build(main[0])
            for c in main[1:]:
                cin, cout = self.build(c)
                self.link(outs, cin)
                outs = cout if (cin or cout) else []
                if not ins:
                    ins = cin
            if k == "residual":
                sin, sout = self.build(term.children[-1])
                ins, outs = ins + sin, outs + sout
            return ins, outs
        junction = {1: self.node("add"), 2: self.node("add")}
        ins: list[int] = []
        outs: list[int] = []
        for (src, dst), child in zip(CELL_EDGES, term.children):
            cin, cout = self.build(child)
            if not cin:
                continue
            if src == 0:
                ins += cin
            else:
                self.link([junction[src]], cin)
            if dst == 3:
                outs += cout
            else:
                self.link(cout, [junction[dst]])
        return ins, outs


def graph(term: Term) -> tuple[list[str], set[tuple[int, int]]]:
    """Phi(term): node labels and directed edges (input is node 0, output the last node)."""
    b = _Builder()
    source = b.node("input")
    ins, outs = b.build(term)
    sink = b.node("output")
    b.link([source], ins)
    b.link(outs, [sink])
    return b.labels, b.edges


__all__ = ["CELL_EDGES", "Term", "connected", "fold", "graph", "kind"]
