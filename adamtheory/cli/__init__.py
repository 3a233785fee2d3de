"""Command-line interface: a thin layer over the library, one module per subcommand.

=============  ==============================  =========================================
subcommand     module                          drives
=============  ==============================  =========================================
check          :mod:`.check`                   :func:`adamtheory.conditions.check`
run            :mod:`.run`                     :func:`adamtheory.simulate.simulate`
problems       :mod:`.problems`                the :mod:`counterexamples` catalog
sweep          :mod:`.sweep`                   :func:`adamtheory.sweep.run_sweep`
plot           :mod:`.plot`                    :mod:`adamtheory.plotting`
figures        :mod:`.figures`                 :func:`adamtheory.figures.make_figures`
prove          :mod:`.prove`                   :mod:`proofs_check`
bound          :mod:`.bound`                   :mod:`adamtheory.bounds`
federated      :mod:`.federated`               :mod:`adamtheory.federated`
distributed    :mod:`.distributed`             :mod:`adamtheory.distributed`
compressors    :mod:`.compressors`             :mod:`adamtheory.distributed.compressors`
demo           :mod:`.demo`                    :func:`adamtheory.demo.run_demo`
=============  ==============================  =========================================

Each module has ``add_parser(sub)`` (its parser, ``func`` set to its handler); shared argument
helpers are in :mod:`.args`. Errors caused by the user's input print one line to stderr and
exit with status 2.
"""

from __future__ import annotations

import os
import sys

from .. import __version__
from ..errors import InputError
from . import (
    bound,
    check,
    compressors,
    demo,
    distributed,
    federated,
    figures,
    plot,
    problems,
    prove,
    run,
    sweep,
)
from .args import FORMATTER, Parser

EPILOG = """examples:
  adamtheory check --alpha "0.5/sqrt(t)" --beta 0.9 --theta "1 - 0.01/t"
  adamtheory check --optimizer adam --lr 0.001 --beta1 0.9 --beta2 0.999
  adamtheory check --alpha "a*t**(-s)" --beta 0.9 --theta "1 - 0.01*t**(-r)" \\
      --param a=0.5 --param s=0.5 --param r=1 --json"""

#: The subcommand modules, in the order of ``adamtheory --help``.
SUBCOMMANDS = (check, run, problems, sweep, plot, figures, prove, bound, federated, distributed,
               compressors, demo)


def build_parser() -> Parser:
    """The ``adamtheory`` parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = Parser(
        prog="adamtheory",
        description="The convergence theory of Adam-type optimizers: check, run, plot.",
        epilog=EPILOG, formatter_class=FORMATTER)
    parser.add_argument("--version", action="version", version=f"adamtheory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def _user_errors() -> tuple:
    from counterexamples.errors import ProblemError

    return (InputError, ProblemError)


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_error(exc: OSError) -> str:
    """One line for an OSError (a path that cannot be read or written)."""
    where = f" {str(exc.filename)[:120]!r}" if exc.filename is not None else ""
    return f"cannot access{where}: {exc.strerror or type(exc).__name__}"


#: The status when standard output's reader went away (``| head``): nothing is printed, and the
#: status is the shell's for a process ended by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


def main(argv=None) -> int:
    """Run the CLI; user errors print one line to stderr and return 2.

    numpy's floating-point RuntimeWarnings (overflow in a diverging run, 0/0 in a metric) are
    not printed: the results report non-finite values themselves (labels, ``null`` in JSON).
    An OSError (an output path that cannot be written, a file that cannot be read) and a
    MemoryError are the user's environment, not a bug: one line, status 2.
    """
    import warnings

    import numpy as np

    parser = build_parser()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            args = parser.parse_args(argv)
            if not getattr(args, "command", None):
                parser.print_help()
                return 2
            code = args.func(args)
            sys.stdout.flush()  # a reader that is gone shows here, not at the interpreter's exit
            return code
    except BrokenPipeError:  # `adamtheory ... | head`: the reader has what it wanted
        return EXIT_BROKEN_PIPE
    except _user_errors() as exc:
        print(f"adamtheory: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"adamtheory: error: {_one_line(_os_error(exc))}", file=sys.stderr)
        return 2
    except MemoryError:
        print("adamtheory: error: out of memory; make the request smaller (fewer steps, a "
              "smaller dimension or grid)", file=sys.stderr)
        return 2
    except RecursionError:
        print("adamtheory: error: the input is nested too deeply to be processed; simplify it",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("adamtheory: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, not a traceback
        if os.environ.get("ADAMTHEORY_DEBUG"):
            raise
        print(f"adamtheory: internal error: {type(exc).__name__}: {_one_line(exc, 300)} "
              "(set ADAMTHEORY_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def entry() -> None:
    """The ``adamtheory`` command: :func:`main`, then exit with its status.

    Before exiting, every object is moved out of the collector's reach (:func:`gc.freeze`):
    the interpreter's last collections would otherwise scan the whole heap of the imported
    modules only to free it with the process (0.4-0.5 s after ``figures``, 0.1 s after that).
    """
    import gc

    code = main()
    if code == EXIT_BROKEN_PIPE:  # the exit-time flush of stdout must not write to the pipe again
        # (the recipe of Python's documentation, signal module, "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
