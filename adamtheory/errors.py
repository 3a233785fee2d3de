"""Errors raised for bad user input.

Every error a user can cause by typing something derives from :class:`InputError`. Its message is
one line that says what is wrong and how to fix it; the CLI prints it and exits with status 2.
"""


class InputError(ValueError):
    """Bad user input: a one-line message saying what is wrong and how to fix it."""


class ScheduleError(InputError):
    """A schedule text that cannot be parsed, or a schedule that is invalid on its range."""


class OutsideFamilyError(InputError):
    """The optimizer is not a point of the Generic Adam family (e.g. AMSGrad)."""
