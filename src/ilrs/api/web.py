"""``ilrs serve``: the web application. Its pages (the south-pole map, a site, the campaign,
the partners, the plan, the API's documentation) draw what its JSON routes give; the
registry's REST API is carried whole; long computations (the plan, a site's study, a
what-if) run as background jobs (:mod:`ilrs.api.jobs`) whose results are cached.

(No ``from __future__ import annotations``: FastAPI reads the handlers' annotations.)
"""

import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ilrs import __version__
from ilrs.api import pages
from ilrs.api.guards import LOOPBACK_HOSTS, RequestGuard, install_error_handlers
from ilrs.api.jobs import Jobs
from ilrs.api.plan_folder import LAYER_PIXELS, DamagedFolderError, PlanFolder, study_files
from ilrs.api.registry import registry_router
from ilrs.campaign.whatif import MAX_DELAY_DAYS
from ilrs.errors import DataFileError, InputError, UnknownNameError

__all__ = ["WebSettings", "create_web_app"]

STATIC = Path(__file__).parent / "static"
MAX_PLAN_BYTES = 200_000
KEPT_PLANS = 20  # pasted plans kept in the cache for runs (the one served is never removed)


@dataclass
class WebSettings:
    plan_dir: Path = Path("build/plan")
    cache_dir: Path = Path("build/cache")
    scenario: Path | None = None  # the plan file; None: the embedded reference
    registry_url: str | None = None
    layer_pixels: int = LAYER_PIXELS  # the map's pictures: at most this many pixels a side
    # Secrets that open the registry to this server's own pages: secret -> (name, role).
    session_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The names a request's Host may give (DNS rebinding guard); None: any.
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS


class ChangeIn(BaseModel):
    kind: Literal["delay", "drop", "move", "keep"]  # keep: fly a dropped mission's dependent
    mission: str = Field(min_length=1, max_length=200)
    days: float | None = Field(
        None,
        ge=-MAX_DELAY_DAYS,
        le=MAX_DELAY_DAYS,
        allow_inf_nan=False,
        description="delay: days later (negative: earlier)",
    )
    launch_utc: str | None = Field(None, max_length=40, description="move: the new launch")


class WhatIfIn(BaseModel):
    changes: list[ChangeIn] = Field(min_length=1, max_length=50)


class StudyIn(BaseModel):
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-360, le=360)
    height_m: float = Field(2.0, ge=0, le=1000, description="above the ground")
    start: str = Field(max_length=40)
    end: str = Field(max_length=40)
    step: str = Field("1h", max_length=20)
    label: str | None = Field(None, max_length=200)


class RunPlanIn(BaseModel):
    text: str | None = Field(
        None, max_length=MAX_PLAN_BYTES, description="a plan file (YAML); none: the one served"
    )
    name: str = Field("plan.yaml", max_length=100, pattern=r"^[\w.-]+\.ya?ml$")


class PlanText(RunPlanIn):
    text: str = Field(max_length=MAX_PLAN_BYTES, description="a plan file (YAML)")


def create_web_app(settings: WebSettings) -> FastAPI:
    from ilrs.cooperation.database import open_registry
    from ilrs.report.scenario import load_plan
    from ilrs.report.steps import KEPT_PLAN_FOLDER, StepCache

    app = FastAPI(
        title="ILRS Planner",
        version=__version__,
        description="The International Lunar Research Station: the south pole's light and "
        "shadow, a site's sky, the station's build-up and the partners (the cooperation "
        "registry's API included).",
        docs_url=None,  # Swagger's page loads from a CDN; /docs is drawn here, offline
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(RequestGuard, allowed_hosts=settings.allowed_hosts)
    StepCache(settings.cache_dir).check()  # a folder of others' files is refused now
    jobs = Jobs()
    folder = PlanFolder(settings.plan_dir, settings.layer_pixels)
    state = {"plan": load_plan(settings.scenario), "generation": 0}  # +1 per new plan
    whatif_lock = threading.Lock()
    # The campaign's exposure and baseline, computed once per plan: plan -> (exposure,
    # baseline); a what-if is computed on the plan served when it was asked for.
    whatif_base: dict = {}

    def cache(progress) -> StepCache:
        step_cache = StepCache(settings.cache_dir, progress)
        step_cache.check()
        return step_cache

    def plan_or_404() -> PlanFolder:
        if not folder.exists():
            raise UnknownNameError(
                f"no plan in {settings.plan_dir} yet: run it (the Plan page, or ilrs plan)"
            )
        return folder

    # --- pages --------------------------------------------------------------------------

    def html(name: str) -> HTMLResponse:
        return HTMLResponse(pages.page(name))

    app.get("/", include_in_schema=False)(lambda: html("map"))
    app.get("/site", include_in_schema=False)(lambda: html("site"))
    app.get("/campaign", include_in_schema=False)(lambda: html("campaign"))
    app.get("/partners", include_in_schema=False)(lambda: html("partners"))
    app.get("/plan", include_in_schema=False)(lambda: html("plan"))

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(pages.api_docs(app.openapi()))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg")

    # --- the plan -----------------------------------------------------------------------

    @app.get("/api/plan", tags=["plan"])
    def get_plan() -> dict:
        """The plan being served: its file, its summary (None before it ran), its jobs."""
        plan = state["plan"]
        running = [j.as_dict(with_result=False) for j in jobs.all() if j.kind == "plan"]
        warning = None
        try:
            summary = folder.summary()
            written_from = summary and Path(str(summary["scenario_file"])).resolve()
        except (DamagedFolderError, KeyError, TypeError) as error:  # still served: run it again
            summary, written_from = None, None
            warning = str(error)
        if written_from and written_from != plan.source.path.resolve():
            warning = (
                f"The plan's folder {settings.plan_dir} was written from "
                f"{summary['scenario_file']} ({summary['plan']}), not from the plan served "
                f"({plan.source.path}): run it on the Plan page to see this one."
            )
        return {
            "name": plan.scenario.name,
            "scenario_file": str(plan.source.path),
            "scenario_text": _plan_text(plan.source.path),
            "folder": str(settings.plan_dir),
            "summary": summary,
            "warning": warning,
            "jobs": running[-3:],
        }

    @app.post("/api/plan/check", tags=["plan"], responses={422: {"description": "mistakes"}})
    def check_plan(body: PlanText) -> dict:
        """Check a plan file: every mistake with its line and field (422), or its name."""
        plan = _load_text(body)
        return {"ok": True, "name": plan.scenario.name}

    @app.post("/api/plan/run", status_code=202, tags=["plan"])
    def run_plan_job(body: RunPlanIn) -> dict:
        """Run a plan file (the one being served when no text is sent) in the background;
        its steps are reused from the cache while their inputs are unchanged. When it
        finishes, the pages show it. (A JSON body is required, empty or not: a form
        posted from another site cannot start a run.)"""
        from ilrs.report.plan import run_plan

        plan = _load_text(body, keep=True) if body.text is not None else state["plan"]
        text = plan.source.path.read_bytes()
        key = hashlib.sha256(text + str(plan.folder).encode()).hexdigest()

        def work(progress) -> dict:
            summary = run_plan(plan, settings.plan_dir, settings.cache_dir, progress)
            with whatif_lock:
                state["plan"] = plan
                state["generation"] += 1
                whatif_base.clear()
            return summary

        title = f"plan: {plan.scenario.name}"
        return jobs.submit("plan", key, title, work, reuse_done=False).as_dict()

    def _load_text(body: PlanText, *, keep: bool = False):
        """The pasted plan checked; its relative paths are taken from the served plan
        file's folder and must stay in it; its mistakes name the pasted file's lines. A
        plan to run is then kept in the cache (``plans/``, the last KEPT_PLANS of them);
        nothing is kept of one that fails, nor of one only checked."""
        served_folder = state["plan"].folder
        with tempfile.TemporaryDirectory() as scratch:
            saved = Path(scratch) / body.name
            saved.write_text(body.text, encoding="utf-8")
            try:
                plan = load_plan(saved, folder=served_folder, confined=True)
            except InputError as error:
                raise InputError(str(error).replace(str(saved), body.name)) from None
            if not keep:
                return plan
            digest = hashlib.sha256(body.text.encode()).hexdigest()[:16]
            plans = Path(settings.cache_dir) / "plans"
            kept = plans / digest / body.name
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved, kept)
            os.utime(kept.parent)  # the newest kept, when the same text comes again
        plan.source.path = kept  # the same text, read from where it is kept from now on
        served = state["plan"].source.path.parent
        ours = [each for each in plans.iterdir() if KEPT_PLAN_FOLDER.match(each.name)]
        for old in sorted(ours, key=lambda each: each.stat().st_mtime)[:-KEPT_PLANS]:
            if old not in (served, kept.parent):
                shutil.rmtree(old, ignore_errors=True)
        return plan

    @app.get("/api/plan/validation", tags=["plan"], responses={404: {"description": "none"}})
    def get_validation() -> list[dict]:
        """Every model beside its published authority (the report's table, ``ilrs
        validate``): model, reference, difference, tolerance, unit, source, ok."""
        return plan_or_404().validation()

    @app.get("/api/plan/map", tags=["plan"])
    def get_map() -> dict:
        """The map's extent [m, south polar stereographic], layers, graticule, named
        features and sites."""
        return plan_or_404().map()

    @app.get(
        "/api/plan/layers/{name}.png",
        tags=["plan"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    def get_layer(
        name: str,
        x_min_m: float | None = None,
        x_max_m: float | None = None,
        y_min_m: float | None = None,
        y_max_m: float | None = None,
    ) -> Response:
        """A map layer as a picture covering ``extent_m`` (north up); or, given a window
        (all four of ``x_min_m``, ``x_max_m``, ``y_min_m``, ``y_max_m``), that part of it
        at up to as many pixels a side as the whole's, in the colours of the whole; the
        extent it covers is in the ``X-Extent-M`` header (x_min,x_max,y_min,y_max)."""
        window = [x_min_m, x_max_m, y_min_m, y_max_m]
        if all(v is None for v in window):
            return Response(plan_or_404().layer_png(name), media_type="image/png")
        if any(v is None for v in window):
            raise InputError("a window needs all of x_min_m, x_max_m, y_min_m, y_max_m")
        picture, covered = plan_or_404().layer_window_png(name, window)
        extent = ",".join(f"{v:.3f}" for v in covered)
        return Response(picture, media_type="image/png", headers={"X-Extent-M": extent})

    @app.get(
        "/api/plan/imagery.png",
        tags=["plan"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    def get_imagery(
        x_min_m: float | None = None,
        x_max_m: float | None = None,
        y_min_m: float | None = None,
        y_max_m: float | None = None,
    ) -> Response:
        """The real picture under the map: the LROC WAC mosaic (400 m; NASA/GSFC/ASU)
        cropped to the map's extent, grey, clear where the mosaic does not reach; or,
        given a window (all four of ``x_min_m``, ``x_max_m``, ``y_min_m``, ``y_max_m``),
        that part of it. The extent it covers is in the ``X-Extent-M`` header."""
        window = [x_min_m, x_max_m, y_min_m, y_max_m]
        if any(v is None for v in window) and not all(v is None for v in window):
            raise InputError("a window needs all of x_min_m, x_max_m, y_min_m, y_max_m")
        whole = all(v is None for v in window)
        picture, covered = plan_or_404().imagery_png(None if whole else window)
        extent = ",".join(f"{v:.3f}" for v in covered)
        return Response(picture, media_type="image/png", headers={"X-Extent-M": extent})

    @app.get("/api/plan/point", tags=["plan"])
    def get_point(
        x_m: Annotated[float, Query(ge=-2e6, le=2e6)], y_m: Annotated[float, Query(ge=-2e6, le=2e6)]
    ) -> dict:
        """Latitude, longitude and each layer's value at a map point."""
        return plan_or_404().point(x_m, y_m)

    @app.get("/api/plan/site", tags=["plan"])
    def get_plan_site() -> dict:
        """The plan's site: summary, horizon, spells, the Sun's and Earth's tracks, and
        the station's power and state of charge."""
        return plan_or_404().site_files()

    @app.get("/api/plan/files/{name}", tags=["plan"], response_class=FileResponse)
    def get_plan_file(name: str) -> FileResponse:
        """A file of the plan's folder (report.html, the figures, the CSV, JSON and
        GeoTIFF data)."""
        from ilrs.report.plan import PLAN_FILES

        if name not in PLAN_FILES:
            raise UnknownNameError(f"no plan file {name!r}; the files: {', '.join(PLAN_FILES)}")
        path = plan_or_404().folder / name
        if not path.is_file() or path.is_symlink():  # only what the plan wrote there
            raise UnknownNameError(f"the plan's folder has no {name}")
        return FileResponse(path)

    # --- a site anywhere on the map ---------------------------------------------------

    @app.post("/api/study", status_code=202, tags=["site"])
    def post_study(body: StudyIn) -> dict:
        """Study a point of the map over a period, in the background: its horizon, the
        Sun's and the Earth's tracks, its spells, and the plan's station set down there.
        Asking again for the same study returns the same job (or the cached result)."""
        from ilrs.report.study import site_study, study_times
        from ilrs.terrain.sources import open_dem, read_around

        plan_or_404()
        study_times(body.start, body.end, body.step)  # a bad period answers now, not later
        read_around(open_dem(folder.dem_path()), [("the point", body.lat_deg, body.lon_deg)], 0)
        key = json.dumps(body.model_dump(), sort_keys=True) + str(folder.summary())
        title = f"site {body.label or f'{body.lat_deg:.4f}°, {body.lon_deg:.4f}°'}"

        def work(progress) -> dict:
            result_folder = site_study(
                state["plan"],
                folder.dem_path(),
                body.lat_deg,
                body.lon_deg,
                height_m=body.height_m,
                start=body.start,
                end=body.end,
                step=body.step,
                cache=cache(progress),
                label=body.label,
            )
            return study_files(result_folder)

        return jobs.submit("study", key, title, work).as_dict()

    # --- the campaign -----------------------------------------------------------------

    @app.get("/api/campaign", tags=["campaign"])
    def get_campaign() -> dict:
        """The campaign's missions (launch and landing), milestones, findings and
        capabilities per year, as the plan computed them."""
        _, campaign = state["plan"].campaign
        return {"name": campaign.name, "missions": _missions(campaign)} | (plan_or_404().campaign())

    @app.post("/api/campaign/whatif", status_code=202, tags=["campaign"])
    def post_whatif(body: WhatIfIn) -> dict:
        """Delay, drop or move missions, in the background: the milestones before and
        after, the findings and the capabilities per year of the changed plan."""
        from ilrs.campaign.whatif import effective_campaign, what_if

        plan = state["plan"]
        station, campaign = plan.campaign
        changes = [_change(each) for each in body.changes]
        effective_campaign(campaign, changes)  # an unknown mission answers now, before the sky
        key = json.dumps(body.model_dump(), sort_keys=True) + f"@plan {state['generation']}"

        def work(progress) -> dict:
            from ilrs.campaign.buildup import build_up
            from ilrs.report.exposure_cache import cached_campaign_exposure

            with whatif_lock:
                if plan not in whatif_base:
                    progress("the site's sky over the campaign's years (kept in the cache) ...")
                    exposure = cached_campaign_exposure(station, campaign, cache(progress))
                    progress("the build-up as planned ...")
                    base = (exposure, build_up(station, campaign, exposure))
                    if plan is state["plan"]:  # kept only while it is the plan served
                        whatif_base[plan] = base
                else:
                    base = whatif_base[plan]
            progress("the build-up with the changes ...")
            result = what_if(station, campaign, changes, base[0], baseline=base[1])
            result.pop("buildup")
            result["missions"] = _missions(result.pop("campaign"), result["cancelled"])
            return result

        title = "what-if: " + "; ".join(c.describe() for c in changes)
        return jobs.submit("whatif", key, title, work).as_dict()

    # --- jobs ---------------------------------------------------------------------------

    @app.get("/api/jobs", tags=["jobs"])
    def get_jobs() -> list[dict]:
        """Every job this server remembers, newest last (results left out)."""
        return [job.as_dict(with_result=False) for job in jobs.all()]

    @app.get("/api/jobs/{job_id}", tags=["jobs"], responses={404: {"description": "no job"}})
    def get_job(job_id: str) -> dict:
        """A job: state, progress lines, and its result once done."""
        job = jobs.get(job_id)
        if job is None:
            raise UnknownNameError(f"no job {job_id!r} (this server forgets old jobs)")
        return job.as_dict()

    @app.delete("/api/jobs/{job_id}", tags=["jobs"], responses={404: {"description": "no job"}})
    def cancel_job(job_id: str) -> dict:
        """Cancel a job: a queued one never runs, a running one stops at its next step."""
        return jobs.cancel(job_id).as_dict(with_result=False)

    @app.get("/api/worldmap", tags=["partners"])
    def get_worldmap() -> JSONResponse:
        """The countries as SVG paths (x = longitude, y = -latitude [deg]; Natural Earth
        1:110m), keyed by ISO 3166-1 alpha-2."""
        from ilrs.api.worldmap import world_countries

        return JSONResponse(world_countries(), headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(
        registry_router(open_registry(settings.registry_url), settings.session_tokens)
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.on_shutdown.append(jobs.shutdown)
    return app


def _plan_text(path: Path) -> str | None:
    """The served plan file's text (None once it is gone: the page says so)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(f"the plan file {path} cannot be read: {error}") from None


def _missions(campaign, cancelled_because: dict[str, str] | None = None) -> list[dict]:
    from ilrs.campaign.buildup import landing_utc

    cancelled_because = cancelled_because or {}
    return [
        {
            "name": m.name,
            "purpose": m.purpose,
            "launch_utc": m.launch_utc,
            "landing_utc": landing_utc(m),
            "window_days": m.window_days,
            "status": m.status,
            "joins_station": m.joins_station,
            "depends_on": m.depends_on,
            "cancelled_because": cancelled_because.get(m.name),
        }
        for m in campaign.missions
    ]


def _change(each: ChangeIn):
    """A what-if change from the form (its missing value named)."""
    from ilrs.campaign.whatif import Change

    if each.kind == "delay":
        if each.days is None:
            raise InputError(f"delay {each.mission}: give days")
        return Change("delay", each.mission, days=each.days)
    if each.kind == "move":
        from ilrs.sky import parse_utc

        if not each.launch_utc:
            raise InputError(f"move {each.mission}: give launch_utc")
        parse_utc(each.launch_utc)
        return Change("move", each.mission, launch_utc=each.launch_utc)
    return Change(each.kind, each.mission)  # drop or keep
