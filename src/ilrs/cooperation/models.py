"""The registry's records: organisations, people, agreements and their parties,
contributions, science projects, the sources of each fact, and the audit history.

Records are never deleted, only marked (``deleted_at``), and carry a ``version`` that every
update raises, so that two concurrent edits of one record are told apart.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

__all__ = [
    "AGREEMENT_KINDS",
    "AGREEMENT_STATUSES",
    "MAX_ID",
    "MAX_TEXT_CHARS",
    "ORGANISATION_KINDS",
    "Agreement",
    "AgreementParty",
    "ROLES",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Contribution",
    "Organisation",
    "Person",
    "ScienceProject",
    "Source",
    "max_chars",
]

# Every key and reference is an Integer column: 32-bit signed on PostgreSQL (SQLite's hold
# 64 bits), so no record has an id above 2**31 - 1 on any database the registry runs on.
# This is the one bound on ids: paths, references in fields, imports all check against it.
MAX_ID = 2**31 - 1
# The longest text kept in a Text column (notes), which neither database bounds: a page of
# prose is a few thousand characters; this keeps one request or import row from storing
# megabytes in a note.
MAX_TEXT_CHARS = 10_000

ORGANISATION_KINDS = (
    "government",
    "space_agency",
    "laboratory",
    "university",
    "institute",
    "company",
    "foundation",
    "regional_body",
    "international_body",
)
AGREEMENT_KINDS = (
    "intergovernmental",
    "framework",
    "mou",
    "joint_statement",
    "letter_of_intent",
    "application",
    "declaration",
)
# From asked to in force, and the ways out.
AGREEMENT_STATUSES = (
    "announced",
    "applied",
    "signed",
    "active",
    "expired",
    "withdrawn",
    "declined",
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class _Record:
    """Columns every editable record has. ``version`` rises with every change, and an
    update only lands where the row still holds the version read (a concurrent edit
    fails instead of being overwritten)."""

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.version}

    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    published: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class Organisation(_Record, Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("name_key", name="uq_organisations_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # The name folded (case, accents, punctuation, spacing): one organisation, one key.
    name_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    source: Mapped[Source | None] = relationship()


class Person(_Record, Base):
    """A researcher: a name, a country and an affiliation; nothing more is kept."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    affiliation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    affiliation: Mapped[Organisation | None] = relationship()


class Agreement(_Record, Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    names_ilrs: Mapped[bool] = mapped_column(Boolean, default=True)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # The body a party takes part through (APSCO for its members), if any.
    via_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan"
    )
    via: Mapped[Organisation | None] = relationship()
    source: Mapped[Source | None] = relationship()


class AgreementParty(Base):
    __tablename__ = "agreement_parties"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship()


class Contribution(_Record, Base):
    """A payload, instrument, ground station or service given by an organisation."""

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mission: Mapped[str | None] = mapped_column(String(100))
    mass_kg: Mapped[float | None] = mapped_column(Float)
    power_w: Mapped[float | None] = mapped_column(Float)
    data_rate_bps: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))

    organisation: Mapped[Organisation] = relationship()
    source: Mapped[Source | None] = relationship()


class ScienceProject(_Record, Base):
    __tablename__ = "science_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    missions: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    lead: Mapped[Organisation | None] = relationship()


class AuditEntry(Base):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # create, update, delete, restore
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


def max_chars(column) -> int:
    """The most characters ``column`` keeps: its ``String(length)`` (PostgreSQL refuses a
    longer value, SQLite would keep it), or :data:`MAX_TEXT_CHARS` for a ``Text``."""
    length = getattr(column.type, "length", None)
    return MAX_TEXT_CHARS if length is None else length


ROLES = ("viewer", "editor", "admin")  # each can do what the ones before it can


class ApiToken(Base):
    """A key to the REST API: a name (the audit's actor), a role, and the SHA-256 of the
    secret (the secret itself is shown once, when made, and never stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
