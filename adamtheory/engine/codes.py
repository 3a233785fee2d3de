"""Integer codes for the variant switches and the engine's overflow thresholds.

The kernels receive every switch as data (an int8 per configuration), never as a compile-time
constant, so a sweep over variants compiles once.

=================  =====  ===========================================================
switch             code   meaning
=================  =====  ===========================================================
``eps_mode``       0      ``"v0"``: generic form, v_0 = ε, no ε in the step
                   1      ``"torch"``: v_0 = 0, step m̂ / (sqrt(v̂) + ε)
                   2      ``"optax"``: as torch with ``eps_root`` inside the sqrt
                   3      ``"keras"``: v_0 = 0, step (α sqrt(c2)/c1) m / (sqrt(v) + ε)
``amsgrad``        0      none
                   1      ``"torch"``: max over raw v, divided by the current c2
                   2      ``"optax"``: max over bias-corrected v
                   3      ``"reddi"``: v̂ = max(v̂, v), no correction, no ε
``flag`` (output)  0      ran to the end
                   1      NaN in the state or the step (the config stopped)
                   2      overflow: |step| or |x| > HUGE_STEP, or v > HUGE_V (stopped)
=================  =====  ===========================================================

Here c1 = 1 - Π_{k≤t} β_k and c2 = 1 - Π_{k≤t} θ_k (both 1 without bias correction).
The switch names are defined once, in :mod:`adamtheory.specs` (:class:`~adamtheory.specs.EpsMode`,
:class:`~adamtheory.specs.Amsgrad`); a code is the position of its name there.
"""

from ..specs import Amsgrad, EpsMode

#: switch text -> code (the names are those of :mod:`adamtheory.specs`, the one source)
EPS_MODES = {m.value: i for i, m in enumerate(EpsMode)}
AMSGRAD_MODES = {None: 0, "none": 0, **{m.value: i + 1 for i, m in enumerate(Amsgrad)}}

EPS_V0, EPS_TORCH, EPS_OPTAX, EPS_KERAS = 0, 1, 2, 3
AMS_NONE, AMS_TORCH, AMS_OPTAX, AMS_REDDI = 0, 1, 2, 3

FLAG_OK, FLAG_NAN, FLAG_OVERFLOW = 0, 1, 2
FLAG_NAMES = {FLAG_OK: "ok", FLAG_NAN: "nan", FLAG_OVERFLOW: "overflow"}

#: A step (or an iterate coordinate) larger than this in absolute value stops the configuration.
HUGE_STEP = 1e100
#: A second moment larger than this (g² overflowing) stops the configuration.
HUGE_V = 1e300


def code(table: dict, value, what: str) -> int:
    """The integer code of a switch given as text (or already as a code)."""
    if isinstance(value, (int,)) and not isinstance(value, bool) and value in table.values():
        return int(value)
    key = value.lower() if isinstance(value, str) else value
    if key not in table:
        names = ", ".join(str(k) for k in table if k is not None)
        raise ValueError(f"{what} {value!r} is unknown; use one of {names}")
    return table[key]
