r"""The refutation engine shared by the property checks (and by their mutants).

A property check states an upper bound lhs ≤ rhs on a family of cases. Each lemma module gives

* ``pairs(case) -> [(lhs, rhs, scale), ...]``: the sides of every inequality the lemma claims on
  that case, and a *scale*, the natural magnitude of its terms (e.g. Σ a_t for Σ a_t X_t ≤ ...);
  ``[]`` when the case is outside the lemma's hypotheses;
* a hypothesis strategy of cases (the generator: random draws *and* the hard regimes);
* ``encode(case) -> (vector, template)`` and ``decode(vector, template) -> case``: a continuous,
  unconstrained parametrization of the case (the constraints, e.g. θ_t non-decreasing, are built
  into ``decode``) for the local search.

:func:`refute` searches for a violation in two phases:

1. :func:`hypothesis.find` over the generator (the smallest violating case after shrinking);
2. if none, a local search: :func:`scipy.optimize.minimize` (Nelder-Mead) maximizes the
   normalized excess  q(case) = max_pairs (lhs - rhs)/(|lhs| + |rhs|) ∈ [-1, 1]  (a monotone
   function of lhs/rhs, scale free, defined for rhs ≤ 0) from the worst cases of phase 1 and from
   random draws of it.

Relative comparisons only. A pair is *degenerate* when max(|lhs|, |rhs|) ≤ FLOOR · scale (both
sides negligible against the magnitudes of the case, e.g. 1e-300 against 1): it is neither a
violation nor counted in the worst ratio. A pair is a *violation* when it is non-degenerate and
lhs > rhs + REL · (|lhs| + |rhs|) (rounding). The worst ratio reported is the largest lhs/rhs over
the non-degenerate pairs met in both phases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._result import search

REL = 1e-9      # relative rounding allowance of a violation
FLOOR = 1e-12   # a pair with both sides ≤ FLOOR · scale is degenerate


def excess(pairs) -> float:
    """max over the non-degenerate pairs of (lhs - rhs)/(|lhs| + |rhs|); -1 when there is none."""
    best = -1.0
    for lhs, rhs, scale in pairs:
        size = abs(lhs) + abs(rhs)
        if not (math.isfinite(lhs) and math.isfinite(size)) or size <= FLOOR * abs(scale):
            continue
        best = max(best, (lhs - rhs) / size)
    return best


def violates(pairs) -> bool:
    return excess(pairs) > REL


@dataclass
class Search:
    """What :func:`refute` found: the first violating case (or None), cases tried, worst ratio."""

    example: object = None
    cases: int = 0
    ratio: float = 0.0                # largest lhs/rhs over non-degenerate pairs
    lhs: float = 0.0
    rhs: float = 1.0
    phase: str = ""                   # "generator" or "local search" (where it was found)
    local_evals: int = 0

    @property
    def found(self) -> bool:
        return self.example is not None


@dataclass
class _Tracker:
    pairs_fn: object
    keep: int = 12
    best: list = field(default_factory=list)      # [(excess, case)], the worst cases
    seen: list = field(default_factory=list)      # a sample of the cases drawn
    ratio: float = 0.0
    lhs: float = 0.0
    rhs: float = 1.0

    def __call__(self, case) -> float:
        try:
            with np.errstate(all="ignore"):
                pairs = self.pairs_fn(case)
        except (ValueError, ZeroDivisionError, FloatingPointError, OverflowError):
            return -1.0
        for lhs, rhs, scale in pairs:
            if not math.isfinite(lhs) or abs(lhs) + abs(rhs) <= FLOOR * abs(scale):
                continue
            q = lhs / rhs if rhs > 0 else (math.inf if lhs > 0 else 0.0)
            if q > self.ratio:
                self.ratio, self.lhs, self.rhs = q, lhs, rhs
        q = excess(pairs)
        if q > -1.0:
            if len(self.best) < self.keep or q > self.best[-1][0]:
                self.best.append((q, case))
                self.best.sort(key=lambda b: -b[0])
                del self.best[self.keep:]
            if len(self.seen) < 200:
                self.seen.append(case)
        return q


def refute(pairs_fn, strategy, encode=None, decode=None, n: int = 200, starts: int = 4,
           maxfev: int = 400, seed: int = 0, shrink: bool = False) -> Search:
    """Search a case where ``pairs_fn`` has lhs > rhs: generator first, then a local search.

    ``n`` cases from ``strategy`` (hypothesis ``find``), then ``starts`` local searches of at most
    ``maxfev`` evaluations each (half from the worst cases met, half from random draws).
    ``shrink``: shrink a violating case of the generator phase to the smallest (hypothesis).
    """
    tr = _Tracker(pairs_fn)
    ex, cases = search(strategy, lambda c: tr(c) > REL, n, seed, shrink)
    out = Search(ex, cases, phase="generator" if ex is not None else "")
    if ex is None and encode is not None and starts > 0:
        from scipy.optimize import minimize

        rng = np.random.default_rng(seed)
        pool = [c for _, c in tr.best[:1]]
        if tr.seen:
            pool += [tr.seen[i] for i in rng.choice(len(tr.seen), min(starts - len(pool), len(tr.seen)),
                                                    replace=False)]
        hit = []

        for start in pool:
            x0, tmpl = encode(start)

            def obj(x, tmpl=tmpl):
                if hit:
                    return 0.0
                try:
                    case = decode(np.asarray(x, float), tmpl)
                except (ValueError, FloatingPointError, OverflowError):
                    return 1.0
                q = tr(case)
                out.local_evals += 1
                if q > REL:
                    hit.append(case)
                return -q

            with np.errstate(all="ignore"):
                minimize(obj, x0, method="Nelder-Mead",
                         options={"maxfev": maxfev, "adaptive": len(x0) > 8, "xatol": 1e-10,
                                  "fatol": 1e-12})
            if hit:
                out.example, out.phase = hit[0], "local search"
                break
        out.cases += out.local_evals
    out.ratio, out.lhs, out.rhs = tr.ratio, tr.lhs, tr.rhs
    return out


# --------------------------------------------------------------- parametrizations for the search
def sig(u):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, float)))


def logit(p):
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def enc_theta(theta):
    """θ non-decreasing in (0, 1) ↦ (logit ω_1, logit(ω_t/ω_{t-1})...)."""
    om = 1.0 - np.asarray(theta, float)
    r = np.concatenate([[om[0]], om[1:] / om[:-1]])
    return logit(r)


def dec_theta(u):
    """Inverse of :func:`enc_theta`: any real vector gives θ non-decreasing in (0, 1)."""
    om = np.cumprod(np.clip(sig(u), 1e-12, 1.0))
    return 1.0 - np.maximum(om, 1e-15)


def enc_unit(x, top=1.0):
    return logit(np.asarray(x, float) / top)


def dec_unit(u, top=1.0):
    return top * sig(u)


_CODECS = {
    "beta": (lambda a: enc_unit(a, 0.999), lambda u: dec_unit(u, 0.999)),
    "theta": (enc_theta, dec_theta),
    "chi": (lambda a: np.log(np.maximum(a, 1e-300)), np.exp),
    "eps": (lambda a: np.log(np.maximum(a, 1e-300)), np.exp),
    "g": (lambda a: np.asarray(a, float), lambda u: u),
}


def encode_case(case: dict):
    """A case dict (arrays beta, theta, chi, g; scalar eps; anything else kept fixed) as a vector.

    The codecs keep every constraint the generators hold: β_t ∈ [0, 0.999), θ_t non-decreasing in
    (0, 1), χ_t > 0, ε > 0.
    """
    parts, tmpl = [], []
    for k, v in case.items():
        if k in _CODECS:
            arr = np.atleast_1d(np.asarray(v, float))
            parts.append(_CODECS[k][0](arr))
            tmpl.append((k, arr.size, np.ndim(v) == 0))
        else:
            tmpl.append((k, None, v))
    return np.concatenate(parts) if parts else np.zeros(0), tmpl


def decode_case(x, tmpl) -> dict:
    out, i = {}, 0
    for k, n, extra in tmpl:
        if n is None:
            out[k] = extra
            continue
        val = _CODECS[k][1](x[i:i + n])
        out[k] = float(val[0]) if extra else val
        i += n
    return out


def show(case) -> str:
    """A compact text of a case dict (arrays shortened by :func:`proofs_check._result.fmt`)."""
    from ._result import fmt

    return fmt({k: (list(map(float, np.ravel(v))) if isinstance(v, np.ndarray) else v)
                for k, v in case.items()})


@dataclass
class Mutant:
    """A planted false variant of a lemma: its claim ``pairs(case)`` and a witness case where it
    fails (``about``: a short text of the witness when the case is too long to print)."""

    lemma: str
    name: str
    pairs: object
    witness: object
    about: str = ""

    def witness_text(self) -> tuple[str, bool]:
        """'<witness>: lhs > rhs' evaluated now, and whether the witness does refute the mutant."""
        pairs = self.pairs(self.witness)
        lhs, rhs, _ = max(pairs, key=lambda p: excess([p]))
        what = self.about or (show(self.witness) if isinstance(self.witness, dict) else str(self.witness))
        return f"{what}: {lhs:.4g} > {rhs:.4g}", violates(pairs)


def lemma_result(lemma, statement, method, res: Search, violations=(), t0: float = 0.0, ok: bool = True,
                 **details):
    """The :class:`~proofs_check._result.LemmaResult` of a property check built on :func:`refute`:
    passed when no violation was found, ``ok`` and every dropped condition broke its step."""
    import time

    from ._result import LemmaResult

    violations = list(violations)
    passed = ok and not res.found and all(v.found for v in violations)
    details.update({"worst non-degenerate lhs/rhs": res.ratio, "local search evaluations": res.local_evals})
    return LemmaResult(lemma, statement, method, res.cases, passed, res.lhs, res.rhs,
                       show(res.example) if res.found and isinstance(res.example, dict) else "",
                       violations, details=details, seconds=time.perf_counter() - t0)
