"""``ilrs serve``: the web application on the plan's results and the registry."""

from __future__ import annotations

import contextlib
import secrets
import socket
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import listen
from ilrs.cli.plan import CacheOption, ScenarioOption
from ilrs.cli.registry import DbOption, registry_sessions

WILDCARDS = ("0.0.0.0", "::", "")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    scenario: ScenarioOption = None,
    plan: Annotated[
        Path, typer.Option("--plan", help="The plan's folder (ilrs plan --out).")
    ] = Path("build/plan"),
    cache: CacheOption = Path("build/cache"),
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = 8000,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Another name the server may be reached by (repeatable); requests naming "
            "any other host are refused (DNS rebinding guard).",
        ),
    ] = None,
) -> None:
    """The web application: the south-pole map, sites, the campaign, the partners and the
    API (documented at /docs). Prints the address to open; it carries a token that lets
    that browser read and edit the registry while the server runs."""
    import uvicorn

    from ilrs.api.guards import LOOPBACK_HOSTS
    from ilrs.api.web import WebSettings, create_web_app

    registry_sessions(db)  # a registry that cannot be opened is told now, in one line
    listener = listen(host, port)  # an address in use is told now, in one line
    bound_host, bound_port = listener.getsockname()[:2]
    wildcard = host in WILDCARDS
    names = [*LOOPBACK_HOSTS, *(allow_host or [])]
    names += _own_names() if wildcard else [host]
    secret = "ilrs_web_" + secrets.token_urlsafe(32)
    settings = WebSettings(
        plan_dir=plan,
        cache_dir=cache,
        scenario=scenario,
        registry_url=db,
        session_tokens={secret: ("web (ilrs serve)", "editor")},
        allowed_hosts=tuple(dict.fromkeys(names)),
    )
    app = create_web_app(settings)
    shown = "127.0.0.1" if wildcard else (f"[{host}]" if ":" in host else host)
    print(f"ILRS Planner: http://{shown}:{bound_port}/?token={secret}", flush=True)
    if wildcard:
        print(
            f"  listening on {bound_host} port {bound_port}: every network interface, so "
            f"anyone who can reach this machine can open the pages (also as "
            f"http://{socket.gethostname()}:{bound_port}/)",
            flush=True,
        )
    print("  (the token lets that browser edit the registry until the server stops)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listener])


def _own_names() -> list[str]:
    """This machine's names and addresses, which a request may give as its host when the
    server listens on every interface."""
    names = [socket.gethostname(), socket.getfqdn()]
    with contextlib.suppress(OSError):
        names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    return names
