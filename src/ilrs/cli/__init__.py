"""The ``ilrs`` command line: a thin shell over the library.

Every error the project raises on purpose, and every usage error, ends as one line on
standard error (``ilrs: error: ...``) and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ilrs import __version__
from ilrs.cli import campaign as _campaign
from ilrs.cli import explore as _explore
from ilrs.cli import maps as _maps
from ilrs.cli import plan as _plan
from ilrs.cli import registry as _registry
from ilrs.cli import serve as _serve
from ilrs.cli import site as _site
from ilrs.cli import sky as _sky
from ilrs.cli import station as _station
from ilrs.cli import stations as _stations
from ilrs.cli import terrain as _terrain
from ilrs.cli import validate as _validate
from ilrs.errors import IlrsError

app = typer.Typer(
    name="ilrs",
    help="ILRS Planner: plan the International Lunar Research Station at the lunar south pole.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        print(f"ilrs {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """ILRS Planner: plan the International Lunar Research Station at the lunar south pole."""


_plan.register(app)
_sky.register(app)
_stations.register(app)
_terrain.register(app)
_site.register(app)
_maps.register(app)
_station.register(app)
_campaign.register(app)
_explore.register(app)
_registry.register(app)
_serve.register(app)
_validate.register(app)

EXIT_INPUT_ERROR = 1
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h)
TRACEBACK_ENV = "ILRS_TRACEBACK"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the status code."""
    try:
        result = app(args=argv, prog_name="ilrs", standalone_mode=False)
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
