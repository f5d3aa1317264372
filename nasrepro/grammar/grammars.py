"""The grammars of seed 003: the hierarchical NAS-Bench-201 space (Eq. 4) and its cell-based subspace.

Eq. 4 as extracted from the seed is garbled in three places; they are resolved as the successor
repository (automl/hierarchical_nas_construction, ``grammars/*.cfg``) writes them, which the seed's found
architectures also show: a Cell takes **6** operations (one per NB201 edge); ``C ::= ... | Linear3(CL, CL, CL)``;
``D ::= ... | Residual2(CL, down, down)``. BLOCK's 40 % share of OP is the repository's duplicated
``Linear1(BLOCK)`` alternative, which Eq. 5 then counts twice: OP has 3 + 2 x 27 = 57 derivations, and the
space has 10^446.09 terms ("ca. 10^446", §4). The stem and classifier are outside the grammar.

The cell-based NB201 space is the Cell with the benchmark's five operations; Eq. 5 gives 5^6 = 15,625.
"""

from __future__ import annotations

from nasrepro.errors import ConfigError
from nasrepro.grammar.cfg import Grammar

HIERARCHICAL_NB201 = """
D2    ::= Linear3(D1, D1, D0) | Linear3(D0, D1, D1) | Linear4(D1, D1, D0, D0)
D1    ::= Linear3(C, C, D) | Linear4(C, C, C, D) | Residual3(C, C, D, D)
D0    ::= Linear3(C, C, CL) | Linear4(C, C, C, CL) | Residual3(C, C, CL, CL)
D     ::= Linear2(CL, down) | Linear3(CL, CL, down) | Residual2(CL, down, down)
C     ::= Linear2(CL, CL) | Linear3(CL, CL, CL) | Residual2(CL, CL, CL)
CL    ::= Cell(OP, OP, OP, OP, OP, OP)
OP    ::= zero | id | Linear1(BLOCK) | Linear1(BLOCK) | avg_pool
BLOCK ::= Linear3(ACT, CONV, NORM)
ACT   ::= relu | hardswish | mish
CONV  ::= conv1x1 | conv3x3 | dconv3x3
NORM  ::= batch | instance | layer
"""

# One Cell over NAS-Bench-201's operations, in its names' order (none, skip, conv 1x1, conv 3x3, avg pool).
NB201_CELL = """
CL ::= Cell(OP, OP, OP, OP, OP, OP)
OP ::= zero | id | conv1x1 | conv3x3 | avg_pool
"""

GRAMMARS = {"hierarchical-nb201": HIERARCHICAL_NB201, "nb201-cell": NB201_CELL}
# Cell-grammar terminal -> NAS-Bench-201 operation id (nasrepro.nb201_cells.OPS).
NB201_OP_IDS = {"zero": 0, "id": 1, "conv1x1": 2, "conv3x3": 3, "avg_pool": 4}


def get_grammar(name: str) -> Grammar:
    try:
        return Grammar.parse(GRAMMARS[name])
    except KeyError:
        raise ConfigError(f"unknown grammar {name!r}; known: {', '.join(GRAMMARS)}") from None


def cell_term_to_arch(term) -> tuple[int, ...]:
    """The NAS-Bench-201 cell (6 op ids) of a cell-grammar term."""
    if term.head != "Cell" or len(term.children) != 6:
        raise ValueError(f"{term} is not a NAS-Bench-201 Cell of six operations")
    return tuple(NB201_OP_IDS[c.head] for c in term.children)


def arch_to_cell_term(arch) -> "Term":  # noqa: F821 - the Term of nasrepro.grammar.terms
    from nasrepro.grammar.terms import Term

    names = {v: k for k, v in NB201_OP_IDS.items()}
    return Term("CL", "Cell", tuple(Term("OP", names[int(a)], ()) for a in arch))


__all__ = ["GRAMMARS", "HIERARCHICAL_NB201", "NB201_CELL", "arch_to_cell_term", "cell_term_to_arch", "get_grammar"]
