"""The record every proof check returns, and the search helper the property checks share.

Property checks use :func:`hypothesis.find` outside pytest: ``find(strategy, predicate)`` returns
the *smallest* example (after hypothesis's shrinking) on which ``predicate`` is true, or raises
``NoSuchExample`` after ``max_examples`` tries. A lemma is checked by searching for an example
that *violates* it (none found: it holds on every case tried); a condition is shown to be used by
searching, with that condition dropped from the generator, for an example that breaks the step it
protects (one found: the smallest such example is reported).
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field

SYMBOLIC, PROPERTY, END_TO_END = "symbolic", "property", "end-to-end"


@dataclass
class Violation:
    """A condition dropped from the generator and the step of the proof it protects."""

    condition: str
    step: str
    found: bool
    cases: int
    counterexample: str = ""
    computed: float | None = None
    claimed: float | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class LemmaResult:
    """What one proof check tried and found.

    ``passed`` is True when the lemma held on every case tried *and* every dropped condition
    produced a case that breaks its step (the condition is used, not decorative).
    ``computed``/``claimed`` are the worst case found: the largest left-hand side relative to the
    right-hand side (for an equality: the residual and 0).
    """

    lemma: str
    statement: str
    method: str
    cases: int
    passed: bool
    computed: float | None = None
    claimed: float | None = None
    counterexample: str = ""
    violations: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "violations"}
        out["violations"] = [v.to_dict() for v in self.violations]
        return out


@contextlib.contextmanager
def _hermetic():
    """Hypothesis without the literals of the caller's source as candidate values.

    Hypothesis (6.170, the version installed here) draws, with a small probability, numbers that
    appear as literals in the modules loaded from outside site-packages. A search then depended on how the project
    was installed and on every literal of its source: with an editable install, a changed
    constant in one lemma's module made another lemma's violation search find nothing within
    its budget (``prove --quick`` exited 1 there and 0 from a wheel). Within this context the
    pool of such literals is empty, as it is for a wheel, so a search is a function of its
    strategy, budget and seed. Where hypothesis has no such pool, nothing changes.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # pragma: no cover - a hypothesis without local constants
        yield
        return
    get = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)  # LRUCache's dict
    if get is None:  # pragma: no cover
        yield
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    if cache is not None:
        cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = get
        if cache is not None:
            cache.clear()


def search(strategy, predicate, max_examples: int, seed: int, shrink: bool = True):
    """The smallest example of ``strategy`` satisfying ``predicate`` (None if none in the budget).

    Returns ``(example or None, cases)`` where cases is the number of examples tried (the budget
    when none was found; an upper bound otherwise). ``shrink=False``: the first example found.
    The search does not depend on how the project is installed (:func:`_hermetic`).
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    count = [0]

    def pred(x):
        count[0] += 1
        return bool(predicate(x))

    phases = list(Phase) if shrink else [p for p in Phase if p not in (Phase.shrink, Phase.explain)]
    st = settings(max_examples=max_examples, deadline=None, database=None, phases=phases,
                  suppress_health_check=list(HealthCheck))
    try:
        with _hermetic():
            ex = find(strategy, pred, settings=st, random=random.Random(seed))
    except NoSuchExample:
        return None, count[0]
    return ex, count[0]


class Worst:
    """The largest ratio lhs/rhs met while searching an upper bound lhs <= rhs (for the report).

    ``upper(pairs)`` records each ``(lhs, rhs)`` and says whether one breaks the bound (beyond a
    relative 1e-9 and an absolute 1e-12 of rounding): the predicate of :func:`search`.
    """

    def __init__(self):
        self.q, self.lhs, self.rhs = 0.0, 0.0, 1.0

    def upper(self, pairs) -> bool:
        bad = False
        for lhs, rhs in pairs:
            q = lhs / rhs if rhs > 0 else 0.0
            if q > self.q:
                self.q, self.lhs, self.rhs = q, lhs, rhs
            bad |= lhs > rhs * (1 + 1e-9) + 1e-12
        return bad


def fmt(x, digits: int = 4) -> str:
    """A compact text for a counterexample (nested lists of floats shortened)."""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(fmt(v, digits) for v in x[:12])
        more = ", ..." if len(x) > 12 else ""
        return ("[" if isinstance(x, list) else "(") + inner + more + ("]" if isinstance(x, list) else ")")
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}={fmt(v, digits)}" for k, v in x.items()) + "}"
    return str(x)
