"""Errors of the sweep runner.

Both derive from :class:`adamtheory.errors.InputError`, so the CLI prints them as one line and
exits with status 2.
"""

from __future__ import annotations

import difflib

from ..errors import InputError


class SweepFileError(InputError):
    """A sweep file that cannot run: the message names the field and what would be valid."""


class StoreError(InputError):
    """The result store cannot be written or read (full disk, permissions, a different sweep)."""


def closest(word: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``word``, or ``""``."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def unknown_key(where: str, key: str, known) -> SweepFileError:
    """The error for an unknown key in a table, naming the closest known key."""
    known = sorted(known)
    return SweepFileError(f"{where}: unknown field {key!r}{closest(key, known)}; "
                          f"valid fields: {', '.join(known)}")
