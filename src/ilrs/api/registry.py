"""The registry's REST API (FastAPI): records listed with pagination and filters, read with
an ETag, changed only with ``If-Match`` (a concurrent edit is refused, not overwritten),
deleted softly, imported whole or not at all; each request carries a token whose role
allows it (viewer reads, editor writes, admin restores and makes tokens).

    uvicorn --factory ilrs.api.registry:create_app   (ILRS_REGISTRY_URL names the database)

(No ``from __future__ import annotations`` here: FastAPI reads the handlers' annotations,
which name types local to :func:`create_app`.)
"""

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
)
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from ilrs import __version__
from ilrs.api.guards import RequestGuard, install_error_handlers
from ilrs.cooperation import records
from ilrs.cooperation.answers import participation, progress
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.models import AuditEntry
from ilrs.cooperation.tokens import allows, token_for
from ilrs.errors import InputError

__all__ = ["create_app", "registry_router"]

TABLE_NAMES = tuple(records.TABLES)
MAX_PAGE = 500
# Any integer: one that no record can have (below 1, above records.MAX_ID) is simply not
# there (404), as the domain layer answers.
RecordId = Annotated[int, Path(description=f"the record's id (1 to {records.MAX_ID})")]
# An ETag of this API is a version in ASCII digits (str.isdigit() would also pass "²" and
# "١٢", which int() refuses); no version has more digits than the largest id.
_VERSION = re.compile(rf'(?:W/)?"?([0-9]{{1,{len(str(records.MAX_ID))}}})"?')


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class Problem(BaseModel):
    detail: str


class RecordIn(BaseModel):
    """A record's fields; which ones a table takes is in the table's description."""

    model_config = ConfigDict(extra="allow")


def _utc_text(moment: dt.datetime) -> str:
    """A stored instant as ISO 8601 UTC with ``Z`` (SQLite gives it back without its zone,
    PostgreSQL with it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _etag(record) -> str:
    return f'"{record.version}"'


def _version_from(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(428, "If-Match is required: send the ETag of the version you read")
    found = _VERSION.fullmatch(if_match.strip())
    if found is None:
        raise HTTPException(
            400,
            f"If-Match {if_match[:40]!r} is not an ETag of this API (a version in quotes, "
            'such as "3")',
        )
    return int(found.group(1))


def create_app(url: str | None = None, *, sessions=None) -> FastAPI:
    """The application on the registry at ``url`` (default: ``$ILRS_REGISTRY_URL`` or the
    SQLite file in the user's data folder), or on ``sessions`` already opened."""
    app = FastAPI(
        title="ILRS Planner cooperation registry",
        version=__version__,
        description="Countries, organisations, researchers, agreements and contributions of "
        "the International Lunar Research Station, against the 50 / 500 / 5,000 goal.",
    )
    install_error_handlers(app)
    app.add_middleware(RequestGuard)  # body limits, strict JSON, headers (routes need tokens)
    app.include_router(registry_router(sessions or open_registry(url)))
    return app


def registry_router(
    sessions, session_tokens: dict[str, tuple[str, str]] | None = None
) -> APIRouter:
    """The registry's routes on ``sessions`` (an SQLAlchemy session maker).

    ``session_tokens`` maps secrets that live only in this process (``ilrs serve``'s own
    browser session) to a (name, role); other secrets are looked up in the registry."""
    session_tokens = session_tokens or {}
    router = APIRouter()

    def session_dependency():
        with sessions() as session:  # a BusyError (SQLite locked past the wait): 429
            yield session

    SessionDep = Annotated[Session, Depends(session_dependency)]

    def role(needed: str):
        def check(
            session: SessionDep,
            authorization: Annotated[str | None, Header()] = None,
        ) -> str:
            if not authorization or not authorization.lower().startswith("bearer "):
                raise HTTPException(401, "a token is required: Authorization: Bearer <token>")
            secret = authorization.split(" ", 1)[1].strip()
            if secret in session_tokens:
                name, token_role = session_tokens[secret]
            else:
                token = token_for(session, secret)
                if token is None:
                    raise HTTPException(401, "the token is not known or was revoked")
                name, token_role = token.name, token.role
            if not allows(token_role, needed):
                raise HTTPException(403, f"a {token_role} token cannot do this ({needed} needed)")
            return name

        return check

    Viewer = Annotated[str, Depends(role("viewer"))]
    Editor = Annotated[str, Depends(role("editor"))]
    Admin = Annotated[str, Depends(role("admin"))]

    def _table(table: str) -> str:
        if table not in TABLE_NAMES:
            raise HTTPException(
                404, f"no table {table[:40]!r}; the registry has {', '.join(TABLE_NAMES)}"
            )
        return table

    responses = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}}

    @router.get("/api/tables")
    def get_tables() -> dict[str, list[dict]]:
        """The tables and their fields: kind (text, texts, choice, country, date, bool,
        number, url, org, orgs), whether required, the choices (for forms)."""
        return {
            name: [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "required": f.required,
                    "choices": list(f.choices),
                }
                for f in fields
            ]
            for name, (_, fields) in records.TABLES.items()
        }

    @router.get("/api/progress", responses=responses)
    def get_progress(session: SessionDep, _actor: Viewer) -> dict:
        """Foreign countries, institutions and researchers against 50 / 500 / 5,000."""
        return progress(session)

    @router.get("/api/participation", responses=responses)
    def get_participation(session: SessionDep, _actor: Viewer) -> list[dict]:
        """Countries taking part: directly or by extension, since when, on what evidence."""
        return [
            {
                "country": p.country,
                "how": p.how,
                "since": p.since.isoformat() if p.since else None,
                "evidence": p.evidence,
            }
            for p in participation(session).values()
        ]

    @router.get("/api/{table}", response_model=Page, responses=responses)
    def list_records(
        table: str,
        session: SessionDep,
        _actor: Viewer,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
        country: Annotated[str | None, Query(max_length=2)] = None,
        kind: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        q: Annotated[str | None, Query(max_length=200, description="text in the name")] = None,
        deleted: bool = False,
    ) -> Page:
        """A page of records, filtered; ``total`` counts all that match. ``q`` is found
        anywhere in the name or title, case aside (``%`` and ``_`` are themselves)."""
        rows, total = records.search(
            session,
            _table(table),
            text=q or None,
            country=country,
            kind=kind,
            status=status,
            deleted=deleted,
            limit=limit,
            offset=offset,
        )
        return Page(
            items=[records.to_dict(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @router.get(
        "/api/{table}/{record_id}", responses={**responses, 304: {"description": "unchanged"}}
    )
    def get_record(
        table: str,
        record_id: RecordId,
        session: SessionDep,
        _actor: Viewer,
        response: Response,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> dict:
        """One record; its ETag is its version."""
        record = records.get(session, _table(table), record_id, deleted=True)
        if if_none_match is not None and if_none_match.strip() == _etag(record):
            raise HTTPException(304)
        response.headers["ETag"] = _etag(record)
        return records.to_dict(record)

    @router.get("/api/{table}/{record_id}/history", responses=responses)
    def get_history(
        table: str, record_id: RecordId, session: SessionDep, _actor: Viewer
    ) -> list[dict]:
        """Every change of the record: who, when, before, after."""
        records.get(session, _table(table), record_id, deleted=True)
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.table_name == table, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id)
        ).all()
        return [
            {
                "action": e.action,
                "actor": e.actor,
                "at": _utc_text(e.at),
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ]

    @router.post("/api/{table}", status_code=201, responses={**responses, 422: {"model": Problem}})
    def post_record(
        table: str, body: RecordIn, session: SessionDep, actor: Editor, response: Response
    ) -> dict:
        """Add a record (its fields checked before anything is stored)."""
        record = records.create(session, _table(table), body.model_dump(), actor=actor)
        session.commit()  # the session's context rolls back on any error
        response.headers["ETag"] = _etag(record)
        response.headers["Location"] = f"/api/{table}/{record.id}"
        return records.to_dict(record)

    @router.patch(
        "/api/{table}/{record_id}",
        responses={**responses, 412: {"model": Problem}, 428: {"model": Problem}},
    )
    def patch_record(
        table: str,
        record_id: RecordId,
        body: RecordIn,
        session: SessionDep,
        actor: Editor,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict:
        """Change fields of a record, if it is still at the version of ``If-Match``."""
        version = _version_from(if_match)
        record = records.update(
            session,
            _table(table),
            record_id,
            body.model_dump(),
            actor=actor,
            expected_version=version,
        )
        session.commit()  # the session's context rolls back on any error
        response.headers["ETag"] = _etag(record)
        return records.to_dict(record)

    @router.delete(
        "/api/{table}/{record_id}",
        responses={**responses, 412: {"model": Problem}, 428: {"model": Problem}},
    )
    def delete_record(
        table: str,
        record_id: RecordId,
        session: SessionDep,
        actor: Editor,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict:
        """Mark a record deleted (an admin can restore it)."""
        version = _version_from(if_match)
        record = records.delete(
            session, _table(table), record_id, actor=actor, expected_version=version
        )
        session.commit()  # the session's context rolls back on any error
        return records.to_dict(record)

    @router.post("/api/{table}/{record_id}/restore", responses=responses)
    def restore_record(table: str, record_id: RecordId, session: SessionDep, actor: Admin) -> dict:
        """Bring back a deleted record."""
        record = records.restore(session, _table(table), record_id, actor=actor)
        session.commit()  # the session's context rolls back on any error
        return records.to_dict(record)

    @router.post("/api/{table}/import", responses={**responses, 422: {"model": Problem}})
    async def import_records(
        table: str,
        request: Request,
        session: SessionDep,
        actor: Editor,
        content_type: Annotated[str | None, Header()] = None,
    ) -> dict:
        """Import a CSV (``text/csv``) or JSON (a list of objects) body: every row checked,
        all stored or none, every bad row reported with its line; at most
        ``records.MAX_IMPORT_ROWS`` rows."""
        table = _table(table)
        is_json = (content_type or "").startswith("application/json")
        body = await request.body()

        def store() -> int:  # the database's work, in a worker thread: the server answers
            # other requests meanwhile
            try:
                text = body.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError("body: not UTF-8 text") from None
            count = records.import_text(session, table, text, is_json=is_json, actor=actor)
            session.commit()  # the session's context rolls back on any error
            return count

        return {"imported": await run_in_threadpool(store)}

    return router
