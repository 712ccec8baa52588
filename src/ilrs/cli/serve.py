"""``ilrs serve``: the web application on the plan's results and the registry."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.plan import CacheOption, ScenarioOption
from ilrs.cli.registry import DbOption, registry_sessions


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
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
) -> None:
    """The web application: the south-pole map, sites, the campaign, the partners and the
    API (documented at /docs). Prints the address to open; it carries a token that lets
    that browser read and edit the registry while the server runs."""
    import uvicorn

    from ilrs.api.web import WebSettings, create_web_app

    registry_sessions(db)  # a registry that cannot be opened is told now, in one line
    secret = "ilrs_web_" + secrets.token_urlsafe(32)
    settings = WebSettings(
        plan_dir=plan,
        cache_dir=cache,
        scenario=scenario,
        registry_url=db,
        session_tokens={secret: ("web (ilrs serve)", "editor")},
    )
    app = create_web_app(settings)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"ILRS Planner: http://{shown_host}:{port}/?token={secret}", flush=True)
    print("  (the token lets that browser edit the registry until the server stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
