"""Selecting the cells of a sweep's results: grid axes, slices, facets and their symbols.

Every figure of sweep results shows some grid axes and must say what it does with the others:
each is *sliced* (one value) or *faceted* (one panel per value); results are never averaged
silently. An axis with a single value is sliced automatically. Errors name the parameters of
the plotting functions (``x``, ``y``, ``slices``, ``facet``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

SYMBOLS = {"beta1": r"\beta_1", "beta2": r"\beta_2", "lr": r"\alpha", "theta": r"\theta",
           "lam": r"\lambda", "eps": r"\epsilon", "eps_root": r"\epsilon_{root}",
           "delta": r"\delta", "sigma": r"\sigma", "x0": "x_1"}


def symbol(name: str) -> str:
    """Mathtext for a grid axis name (``beta1`` -> ``\\beta_1``)."""
    if name == "seed":
        return r"\mathrm{seed}"
    return SYMBOLS.get(name, name.replace("_", r"\_"))


def fmt(v) -> str:
    """A grid value as short text (6 significant digits; text and booleans as they are)."""
    if isinstance(v, (str, np.str_, bool, np.bool_)):
        return str(v)
    return f"{float(v):.6g}"


def match(ds, axis: str, value):
    """The coordinate of the grid axis ``axis`` equal to ``value`` (numbers within 1e-9
    relative; text exactly)."""
    coords = ds[axis].values
    if coords.dtype.kind in "UOSb":
        hit = np.flatnonzero(coords.astype(str) == str(value))
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InputError(f"slice {axis}={value}: the value must be a number") from None
        hit = np.flatnonzero(np.isclose(np.asarray(coords, dtype=float), v, rtol=1e-9,
                                        atol=1e-12))
    if hit.size == 0:
        shown = ", ".join(fmt(x) for x in coords[:12]) + (", ..." if coords.size > 12 else "")
        raise InputError(f"slice {axis}={value}: not a value of the grid axis {axis} "
                         f"(values: {shown})")
    return coords[hit[0]]


def parse_slices(items) -> dict:
    """``["seed=0", "C=50"]`` -> ``{"seed": "0", "C": "50"}`` (values matched later)."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise InputError(f"slice {item!r}: write AXIS=VALUE, e.g. seed=0")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def grid_dims(ds) -> list:
    """The grid axes of results (the seed included): the dims of ``label`` or, for a simulator
    without run labels, of its first per-configuration variable."""
    if "label" in ds:
        return list(ds["label"].dims)
    for var in ds.data_vars.values():
        if "seed" in var.dims:
            return [d for d in var.dims if d not in ("step", "coord")]
    raise InputError("the results have no per-configuration variable; give the output "
                     "directory of a sweep")


def select_cells(ds, x: str, y: str, slices: dict | None = None, facet: str | None = None):
    """Check the axes and return ``(fixed, facet_values)``.

    ``fixed`` maps every grid axis that is neither plotted nor faceted to its (matched) value;
    raises :class:`InputError` for an axis with several values that is not sliced or faceted.
    """
    dims = grid_dims(ds)
    slices = dict(slices or {})
    for name, what in ((x, "x"), (y, "y")) + (((facet, "facet"),) if facet else ()):
        if name not in dims:
            raise InputError(f"{what} = {name}: not a grid axis of these results "
                             f"(axes: {', '.join(dims)})")
    if x == y:
        raise InputError(f"x and y are both {x}; give two different axes")
    if facet in (x, y):
        raise InputError(f"facet = {facet} is also plotted as x or y; facet another axis")
    fixed = {}
    for k, v in slices.items():
        if k not in dims:
            raise InputError(f"slice {k}={v}: {k} is not a grid axis (axes: {', '.join(dims)})")
        if k in (x, y, facet):
            raise InputError(f"slice {k}={v}: {k} is plotted or faceted; slice another axis")
        fixed[k] = match(ds, k, v)
    for d in dims:
        if d in (x, y, facet) or d in fixed:
            continue
        n = ds.sizes[d]
        if n == 1:
            fixed[d] = ds[d].values[0]
            continue
        shown = ", ".join(fmt(v) for v in ds[d].values[:8]) + (", ..." if n > 8 else "")
        raise InputError(f"axis {d} has {n} values ({shown}) and is neither plotted, sliced nor "
                         f"faceted: slice it ({d}={fmt(ds[d].values[0])}) or facet it "
                         "(results are never averaged)")
    fvals = list(ds[facet].values) if facet else [None]
    return fixed, fvals
