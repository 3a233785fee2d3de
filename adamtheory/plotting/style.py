"""The one style of every figure: palette, sizes and the matplotlib entry point.

Colours are the Okabe-Ito colour-blind-safe set (Okabe & Ito 2008), with Tol's wine and a
neutral grey for an eighth series. Every module that draws takes its colours from here:

* :data:`PALETTE`: series colours in order (rates, trajectories, compressors, ...);
* :data:`OKABE_ITO`: the same colours by name, for figures that pin a colour to a meaning
  (an algorithm, a label);
* :data:`DPI`, :data:`FONT`: the resolution of saved figures and the font sizes.

Example
-------
>>> from adamtheory.plotting.style import PALETTE, OKABE_ITO
>>> PALETTE[0] == OKABE_ITO["blue"]
True
>>> len(PALETTE), len(SERIES_NO_BLACK)
(7, 8)
"""

from __future__ import annotations

#: The Okabe-Ito colours by name.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Tol's wine and a neutral grey (an eighth series; "not applicable" cells).
WINE = "#882255"
GREY = "#999999"

#: Series colours, in order: at most seven series on one axis.
PALETTE = tuple(OKABE_ITO[k] for k in ("blue", "vermillion", "green", "purple", "orange", "sky",
                                       "black"))
#: Eight series colours without black (black is kept for reference lines).
SERIES_NO_BLACK = PALETTE[:6] + (WINE, GREY)

#: Resolution of saved figures (dots per inch).
DPI = 150
#: Font sizes (points): titles, axis labels, ticks, legends, notes.
FONT = {"title": 9, "label": 8, "tick": 7, "legend": 7, "note": 6.5}


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (figures are only written to files).

    Returns
    -------
    module
        ``matplotlib.pyplot``.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt
