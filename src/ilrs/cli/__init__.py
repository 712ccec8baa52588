"""The ``ilrs`` command line: a thin shell over the library.

Every error the project raises on purpose, and every usage error, ends as one line on
standard error (``ilrs: error: ...``) and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from ilrs import __version__
from ilrs.errors import IlrsError

# Each command's module, in the order `ilrs --help` lists them. A command line builds the
# app with its own command's module only: importing every command's module (and making
# typer resolve every command's options) would cost each command the start-up of all.
COMMAND_MODULES = {
    "plan": "plan",
    "sky": "sky",
    "subpoint": "sky",
    "stations": "stations",
    "sites": "stations",
    "terrain": "terrain",
    "site": "site",
    "map": "maps",
    "station": "station",
    "campaign": "campaign",
    "explore": "explore",
    "registry": "registry",
    "serve": "serve",
    "validate": "validate",
}


def _show_version(value: bool) -> None:
    if value:
        print(f"ilrs {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """ILRS Planner: plan the International Lunar Research Station at the lunar south pole."""


def build_app(modules: list[str] | None = None) -> typer.Typer:
    """The ``ilrs`` app with the commands of ``modules`` (names in :data:`COMMAND_MODULES`),
    by default all."""
    app = typer.Typer(
        name="ilrs",
        help="ILRS Planner: plan the International Lunar Research Station at the lunar south pole.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback()(_root)
    if modules is None:
        modules = list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in modules:
        importlib.import_module(f"ilrs.cli.{name}").register(app)
    return app


def modules_for(args: list[str]) -> list[str] | None:
    """The command modules a command line needs: its command's, none for ``--version``
    (which ends the run before any command), all (None) for the root's help, no
    arguments, or an unknown command (whose usage error lists them all)."""
    if args and args[0] in COMMAND_MODULES:
        return [COMMAND_MODULES[args[0]]]
    if args and args[0] == "--version":
        return []
    return None


def __getattr__(name: str):
    if name == "app":  # the whole app, built on first use, for callers that want it
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


EXIT_INPUT_ERROR = 1
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h)
TRACEBACK_ENV = "ILRS_TRACEBACK"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the status code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        app = build_app(modules_for(args))
        result = app(args=args, prog_name="ilrs", standalone_mode=False)
    except IlrsError as error:
        return _fail(str(error), EXIT_INPUT_ERROR)
    except typer.Exit as exit_:
        return exit_.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except typer.TyperException as error:  # click's usage errors, as typer carries them
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            print(context.get_help())
            return 0
        command = context.command_path if context is not None else "ilrs"
        return _fail(f"{error.format_message()} (see '{command} --help')", error.exit_code)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; that is not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        return _fail("out of memory: the input asks for more than this machine has", 1)
    except Exception as error:  # a defect of ours: one line, the traceback on request
        if os.environ.get(TRACEBACK_ENV):
            raise
        return _fail(
            f"internal error ({type(error).__name__}: {str(error)[:300]}); please report it "
            f"with the command that gave it ({TRACEBACK_ENV}=1 shows the traceback)",
            EXIT_INTERNAL_ERROR,
        )
    return result if isinstance(result, int) else 0


def _fail(message: str, status: int) -> int:
    print(f"ilrs: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
