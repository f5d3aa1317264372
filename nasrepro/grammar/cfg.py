"""Context-free grammars over algebraic architecture terms (Schrodi et al.; seed 003 §2-3, App. E/H).

A grammar is written one rule per line, ``A ::= Linear3(B, B, C) | Residual2(B, B, B) | conv | id``:
the left side is a nonterminal, each alternative is a terminal (a primitive, e.g. ``conv3x3``) or an
operator applied to symbols. A symbol with a rule is a nonterminal; any other is a terminal. An
alternative listed twice is drawn twice as often and counted twice by Eq. 5, as the public grammars do
(NB201's BLOCK at 40 %); ``alt [w]`` gives a weight explicitly.

* ``size(A)`` is Eq. 5: the number of distinct derivations from A (constraint ignored, as the seed).
* ``sample`` draws a term by the production weights under the connectivity constraint (App. E: every
  subterm with an operator must connect its input to its output; a draw that does not is redrawn).
* ``mutate`` redraws a random subterm from its nonterminal; ``crossover`` swaps subterms rooted at the
  same nonterminal, between two parents or inside one (self-crossover, App. H.3).

Connectivity follows the operator's topology (``nasrepro.grammar.terms``): ``Linear_n`` is a chain,
``Residual_n`` a chain of n plus a skip, ``Cell`` the NAS-Bench-201 DAG of six edges; ``zero`` cuts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.grammar.terms import Term, connected

_ALT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*(?:\((.*)\))?\s*(?:\[\s*([0-9.eE+-]+)\s*\])?\s*$")


@dataclass(frozen=True)
class Production:
    lhs: str
    head: str
    args: tuple[str, ...]
    weight: float = 1.0

    def text(self) -> str:
        return self.head + (f"({', '.join(self.args)})" if self.args else "")


class ConstraintError(ConfigError):
    """No derivation of a nonterminal satisfies the connectivity constraint."""


class Grammar:
    def __init__(self, rules: dict[str, list[Production]], start: str, max_tries: int = 200):
        if start not in rules:
            raise ConfigError(f"grammar start symbol {start!r} has no rule; rules: {', '.join(rules)}")
        self.rules, self.start, self.max_tries = rules, start, int(max_tries)
        for lhs, prods in rules.items():
            for p in prods:
                if not p.args and p.head in rules:
                    raise ConfigError(f"grammar rule {lhs}: the alternative {p.head!r} is a bare nonterminal; wrap it "
                                      f"in an operator (e.g. Linear1({p.head})), as the public grammars do")
        self._size: dict[str, int] = {}

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, text: str, start: str | None = None) -> "Grammar":
        rules: dict[str, list[Production]] = {}
        order: list[str] = []
        for n, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "::=" not in line:
                raise ConfigError(f"grammar line {n}: expected 'A ::= alt | alt', got {raw!r}")
            lhs, rhs = (s.strip() for s in line.split("::=", 1))
            if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", lhs):
                raise ConfigError(f"grammar line {n}: bad nonterminal {lhs!r}")
            if lhs in rules:
                raise ConfigError(f"grammar line {n}: nonterminal {lhs} has two rules")
            prods = []
            for alt in _split_top(rhs, "|"):
                m = _ALT.match(alt)
                if m is None:
                    raise ConfigError(f"grammar line {n}: cannot read the alternative {alt.strip()!r} of {lhs}")
                head, body, weight = m.group(1), m.group(2), m.group(3)
                args = tuple(a.strip() for a in _split_top(body, ",")) if body is not None else ()
                if any(not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", a) for a in args):
                    raise ConfigError(f"grammar line {n}: the arguments of {alt.strip()!r} must be symbols")
                prods.append(Production(lhs, head, args, float(weight) if weight else 1.0))
            rules[lhs] = prods
            order.append(lhs)
        if not rules:
            raise ConfigError("empty grammar")
        return cls(rules, start or order[0])

    def is_nonterminal(self, symbol: str) -> bool:
        return symbol in self.rules

    def check_symbol(self, symbol: str) -> None:
        if symbol not in self.rules:
            raise ConfigError(f"unknown grammar symbol {symbol!r}; nonterminals: {', '.join(self.rules)}")

    # ------------------------------------------------------------------ Eq. 5
    def size(self, symbol: str | None = None) -> int:
        """Eq. 5: f(A) = sum over A's productions of 1 (no nonterminals) or the product of f over them."""
        symbol = symbol or self.start
        self.check_symbol(symbol)
        return self._count(symbol, ())

    def _count(self, symbol: str, stack: tuple[str, ...]) -> int:
        if symbol in self._size:
            return self._size[symbol]
        if symbol in stack:
            raise ConfigError(f"grammar is recursive through {' -> '.join(stack + (symbol,))}: Eq. 5 needs an acyclic grammar")
        total = 0
        for p in self.rules[symbol]:
            nts = [a for a in p.args if a in self.rules]
            total += math.prod(self._count(a, stack + (symbol,)) for a in nts) if nts else 1
        self._size[symbol] = total
        return total

    def log10_size(self, symbol: str | None = None) -> float:
        n = self.size(symbol)
        return math.log10(n)

    # ------------------------------------------------------------------ sampling
    def sample(self, rng: np.random.Generator, symbol: str | None = None) -> Term:
        """A term derived from ``symbol`` (default: the start symbol) satisfying the constraint."""
        symbol = symbol or self.start
        self.check_symbol(symbol)
        return self._sample(symbol, rng)

    def _sample(self, symbol: str, rng: np.random.Generator) -> Term:
        prods = self.rules[symbol]
        w = np.array([p.weight for p in prods], dtype=np.float64)
        for _ in range(self.max_tries):
            p = prods[int(rng.choice(len(prods), p=w / w.sum()))]
            children = tuple(self._sample(a, rng) if a in self.rules else Term(None, a, ()) for a in p.args)
            term = Term(symbol, p.head, children)
            if not children or connected(term):
                return term
        raise ConstraintError(f"no derivation of {symbol} found in {self.max_tries} draws connects its input to its "
                              "output: the connectivity constraint cannot be met (is every alternative 'zero'?)")

    # ------------------------------------------------------------------ evolution (App. H.3)
    def mutate(self, term: Term, rng: np.random.Generator) -> Term:
        """Redraw one uniformly chosen subterm (with a nonterminal) from its nonterminal."""
        for _ in range(self.max_tries):
            paths = [p for p, sub in term.subterms() if sub.symbol is not None]
            path = paths[int(rng.integers(len(paths)))]
            new = term.replace(path, self._sample(term.at(path).symbol, rng))
            if new != term and valid(new):
                return new
        return term

    def crossover(self, a: Term, b: Term | None, rng: np.random.Generator) -> tuple[Term, Term]:
        """Swap subterms rooted at the same nonterminal: between ``a`` and ``b``, or inside ``a`` when ``b``
        is None (self-crossover: two disjoint subterms of one parent). Returns the parents unchanged when
        no valid swap exists."""
        for _ in range(self.max_tries):
            pa = [p for p, s in a.subterms() if s.symbol is not None]
            x = pa[int(rng.integers(len(pa)))]
            sym = a.at(x).symbol
            if b is None:
                pb = [p for p, s in a.subterms() if s.symbol == sym and not _nested(p, x)]
                if not pb:
                    continue
                y = pb[int(rng.integers(len(pb)))]
                child = a.replace(x, a.at(y)).replace(y, a.at(x))
                if valid(child):
                    return child, child
                continue
            pb = [p for p, s in b.subterms() if s.symbol == sym]
            if not pb:
                continue
            y = pb[int(rng.integers(len(pb)))]
            c1, c2 = a.replace(x, b.at(y)), b.replace(y, a.at(x))
            if valid(c1) and valid(c2):
                return c1, c2
        return a, (b if b is not None else a)

    # ------------------------------------------------------------------ reading terms back
    def parse_term(self, text: str, symbol: str | None = None) -> Term:
        """The term of its string form (``Cell(id, zero, ...)``), with each subterm's nonterminal found."""
        symbol = symbol or self.start
        self.check_symbol(symbol)
        tree = _read(text)
        return self._assign(tree, symbol)

    def _assign(self, tree: tuple, symbol: str) -> Term:
        head, kids = tree
        for p in self.rules[symbol]:
            if p.head == head and len(p.args) == len(kids):
                try:
                    children = tuple(self._assign(k, a) if a in self.rules else _leaf(k, a) for k, a in zip(kids, p.args))
                except ValueError:
                    continue
                return Term(symbol, head, children)
        raise ValueError(f"{head}({len(kids)} args) is not an alternative of {symbol}")


def valid(term: Term) -> bool:
    """Every subterm with an operator connects its input to its output."""
    return all(connected(s) for _, s in term.subterms() if s.children)


def _nested(p: tuple[int, ...], q: tuple[int, ...]) -> bool:
    return p[: len(q)] == q or q[: len(p)] == p


def _leaf(tree: tuple, terminal: str) -> Term:
    if tree != (terminal, ()):
        raise ValueError(f"expected terminal {terminal}")
    return Term(None, terminal, ())


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [s for s in out if s.strip()]


def _read(text: str) -> tuple:
    text = text.strip()
    m = re.fullmatch(r"([A-Za-z_][A-Za-z_0-9]*)\s*(?:\((.*)\))?", text, flags=re.S)
    if m is None:
        raise ValueError(f"cannot read term {text!r}")
    head, body = m.group(1), m.group(2)
    return head, tuple(_read(k) for k in _split_top(body, ",")) if body is not None else ()


__all__ = ["ConstraintError", "Grammar", "Production", "valid"]
