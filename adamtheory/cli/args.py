"""Argument helpers shared by the subcommands: the parser class (one-line errors, status 2), the
schedule and problem arguments, and small parsers of user values.

Every error caused by the user's input raises :class:`~adamtheory.errors.InputError`; the entry
point (:func:`adamtheory.cli.main`) prints it as one line and exits with status 2.

Example
-------
>>> from adamtheory.cli.args import parse_param
>>> parse_param("s=0.5")
('s', '0.5')
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import InputError
from ..specs import AMSGRAD_MODES, VARIANTS

#: every subcommand's help text keeps its line breaks
FORMATTER = argparse.RawDescriptionHelpFormatter


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (an InputError, exit status 2)."""

    def error(self, message):
        raise InputError(f"{message} (see '{self.prog} --help')")


def parse_param(text: str, flag: str = "--param") -> tuple[str, str]:
    """``NAME=VALUE`` -> ``(name, value)`` (both stripped)."""
    if "=" not in text:
        raise InputError(f"{flag} {text[:40]!r}: write NAME=VALUE, e.g. {flag} s=0.5")
    name, value = text.split("=", 1)
    return name.strip(), value.strip()


def floats(text: str, what: str) -> list[float]:
    """A number or comma-separated numbers, each finite."""
    try:
        out = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{what} {text[:40]!r}: give a number or comma-separated "
                         "numbers") from None
    if not all(math.isfinite(v) for v in out):
        raise InputError(f"{what} {text[:40]!r}: every value must be a finite number")
    return out


def add_spec_arguments(p) -> None:
    """The arguments that define an OptimizerSpec (check, run, bound)."""
    g = p.add_argument_group("schedules")
    g.add_argument("--alpha", metavar="TEXT", help="base learning rate α_t, e.g. '0.5/sqrt(t)'")
    g.add_argument("--beta", metavar="TEXT", help="first-moment weight β_t, e.g. '0.9'")
    g.add_argument("--theta", metavar="TEXT", help="second-moment weight θ_t, e.g. '1 - 0.01/t'")
    g.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="value of a named parameter (repeatable)")
    n = p.add_argument_group("named optimizer")
    n.add_argument("--optimizer", metavar="NAME",
                   help="adam, rmsprop, adagrad, adaema (adafom), adamnc, amsgrad")
    n.add_argument("--lr", type=float, help="base learning rate α")
    n.add_argument("--beta1", type=float, help="first-moment weight")
    n.add_argument("--beta2", type=float, help="second-moment weight (constant θ)")
    n.add_argument("--lr-decay", choices=["sqrt", "constant"],
                   help="α_t = lr/sqrt(t) (default) or lr")
    p.add_argument("--eps", type=float, default=None,
                   help="ε (v_0 = ε in the generic form; default 1e-8)")
    p.add_argument("--variant", choices=list(VARIANTS),
                   help="framework variant (the presets of adamtheory.specs.VARIANTS)")
    p.add_argument("--amsgrad", choices=["none", *(m for m in AMSGRAD_MODES if m)],
                   help="AMSGrad variant (outside the family)")


def spec_from_args(args):
    """The OptimizerSpec given by :func:`add_spec_arguments`'s flags."""
    from dataclasses import replace

    from ..specs import OptimizerSpec, named

    schedule_given = any(x is not None for x in (args.alpha, args.beta, args.theta))
    if args.optimizer and schedule_given:
        raise InputError("give either --optimizer or --alpha/--beta/--theta, not both")
    variant = {}
    if args.amsgrad:
        variant["amsgrad"] = None if args.amsgrad == "none" else args.amsgrad
    if args.optimizer:
        spec = named(
            args.optimizer, lr=args.lr, beta1=args.beta1, beta2=args.beta2,
            eps=args.eps, lr_decay=args.lr_decay,
        )
    else:
        missing = [n for n in ("alpha", "beta", "theta") if getattr(args, n) is None]
        if missing:
            raise InputError(
                f"missing --{missing[0]}; give --alpha, --beta and --theta, or --optimizer NAME"
            )
        for flag in ("lr", "beta1", "beta2", "lr_decay"):
            if getattr(args, flag) is not None:
                raise InputError(f"--{flag.replace('_', '-')} goes with --optimizer; put it in "
                                 "the schedules instead")
        params = dict(parse_param(p) for p in args.param or [])
        spec = OptimizerSpec.from_text(
            args.alpha, args.beta, args.theta, params=params,
            eps=1e-8 if args.eps is None else args.eps,
        )
        unused = [k for k in params if not any(
            k in s.free_parameters or k in dict(s.params)
            for s in (spec.alpha, spec.beta, spec.theta))]
        if unused:
            raise InputError(f"--param {unused[0]} is not used by any schedule; remove it or "
                             "use it")
    if args.variant:
        spec = spec.with_variant(args.variant)
    if variant:
        spec = replace(spec, **variant)
    return spec


def problem_from_args(args):
    """The catalog problem (or ``file.py:factory``) of ``--problem`` and ``--problem-param``."""
    import counterexamples

    params = {}
    for text in args.problem_param or []:
        name, value = parse_param(text, "--problem-param")
        try:
            params[name] = int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise InputError(f"--problem-param {text[:40]!r}: {value[:30]!r} is not a "
                             "number") from None
        v = params[name]
        if isinstance(v, float) and not math.isfinite(v) or isinstance(v, int) and abs(v) > 2**53:
            raise InputError(f"--problem-param {name}: {value[:30]!r} is not a finite number "
                             "of moderate size (|value| <= 2^53)")
    return counterexamples.get(args.problem, **params)


def image_output(path, flag: str = "-o") -> Path:
    """``path`` as a Path if it names a PNG, PDF or SVG file that can be written, checked before
    any work starts (see :func:`adamtheory.limits.check_output_file`)."""
    from ..limits import check_output_file

    check_output_file(path, f"output file ({flag})")
    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise InputError(f"{flag} {path}: the file name must end in .png, .pdf or .svg")
    if not path.parent.is_dir():
        raise InputError(f"{flag} {path}: the directory {path.parent} does not exist")
    return path


def json_default(o):
    """``default=`` of json.dumps: numpy arrays and scalars, anything else as text."""
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    return str(o)


def short_value(v):
    """A value for a one-line summary: floats to 6 digits, arrays to their first 6 entries."""
    import numpy as np

    if isinstance(v, (list, tuple, np.ndarray)):
        a = np.asarray(v, dtype=float).ravel()
        body = ", ".join(f"{x:.6g}" for x in a[:6])
        return f"[{body}{', ...' if a.size > 6 else ''}]"
    if isinstance(v, float):
        return f"{v:.6g}"
    return v
