"""What the registry answers: which countries take part and how (directly, or by extension
through an institution or a regional body), on what evidence, since when; where the goal of
50 countries, 500 foreign institutions and 5,000 foreign researchers stands; what is
pending."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ilrs.cooperation.models import Agreement, AgreementParty, Organisation, Person

__all__ = [
    "HOST_COUNTRY",
    "TARGETS",
    "Participation",
    "countries_by_year",
    "participation",
    "pending",
    "progress",
]

HOST_COUNTRY = "CN"
# Wu Weiren, July 2024 (the seed article): 50 countries, 500 foreign research institutions,
# 5,000 foreign research personnel.
TARGETS = {"countries": 50, "institutions": 500, "researchers": 5000}
IN_FORCE = ("signed", "active")
INSTITUTION_KINDS = ("laboratory", "university", "institute", "company", "foundation")


@dataclass
class Participation:
    country: str
    how: str  # "direct": its government is party; "by extension": through an institution or a body
    since: dt.date | None
    evidence: list[str] = field(default_factory=list)


def _agreements(session: Session):
    return session.scalars(
        select(Agreement)
        .where(Agreement.deleted_at.is_(None))
        .options(
            selectinload(Agreement.parties).selectinload(AgreementParty.organisation),
            selectinload(Agreement.via),
        )
    ).all()


def participation(session: Session) -> dict[str, Participation]:
    """Countries taking part, by ISO code: directly (a government party to an agreement in
    force that names the ILRS), or by extension (an institution of the country party to one,
    or the country taking part through a regional body). A direct tie outranks an extension."""
    found: dict[str, Participation] = {}
    for agreement in _agreements(session):
        if agreement.status not in IN_FORCE or not agreement.names_ilrs:
            continue
        for party in agreement.parties:
            organisation = party.organisation
            if organisation.deleted_at is not None or organisation.country is None:
                continue
            direct = organisation.kind == "government" and agreement.via is None
            how = "direct" if direct else "by extension"
            if agreement.via is not None:
                evidence = f"{agreement.title} (through {agreement.via.name})"
            else:
                evidence = agreement.title
            current = found.get(organisation.country)
            if current is None or (current.how != "direct" and how == "direct"):
                found[organisation.country] = Participation(
                    organisation.country, how, agreement.signed_on, [evidence]
                )
            elif current.how == how:
                current.evidence.append(evidence)
                if agreement.signed_on and (
                    current.since is None or agreement.signed_on < current.since
                ):
                    current.since = agreement.signed_on
    return dict(sorted(found.items()))


def pending(session: Session) -> list[Agreement]:
    """Agreements asked for or announced but not yet in force."""
    return [a for a in _agreements(session) if a.status in ("applied", "announced")]


def progress(session: Session) -> dict:
    """Foreign countries, institutions and researchers against the targets."""
    countries = participation(session)
    foreign = {code: p for code, p in countries.items() if code != HOST_COUNTRY}
    institutions = session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(
            Organisation.deleted_at.is_(None),
            Organisation.kind.in_(INSTITUTION_KINDS),
            Organisation.country.is_not(None),
            Organisation.country != HOST_COUNTRY,
        )
    )
    researchers = session.scalar(
        select(func.count())
        .select_from(Person)
        .where(
            Person.deleted_at.is_(None),
            Person.country.is_not(None),
            Person.country != HOST_COUNTRY,
        )
    )
    direct = sorted(code for code, p in foreign.items() if p.how == "direct")
    extension = sorted(code for code, p in foreign.items() if p.how != "direct")
    counts = {"countries": len(foreign), "institutions": institutions, "researchers": researchers}
    return {
        "targets": TARGETS,
        "counts": counts,
        "fraction": {key: counts[key] / TARGETS[key] for key in TARGETS},
        "countries_direct": direct,
        "countries_by_extension": extension,
        "pending": [agreement.title for agreement in pending(session)],
        "over_time": countries_by_year(session),
    }


def countries_by_year(session: Session, last_year: int | None = None) -> dict:
    """Foreign countries taking part at each year's end, by the date of their earliest
    agreement in force; those whose agreements carry no date are counted apart (the record
    does not say when they joined)."""
    foreign = {c: p for c, p in participation(session).items() if c != HOST_COUNTRY}
    dated = sorted(p.since.year for p in foreign.values() if p.since is not None)
    undated = sorted(code for code, p in foreign.items() if p.since is None)
    last_year = last_year or dt.date.today().year
    years = range(dated[0], last_year + 1) if dated else range(last_year, last_year + 1)
    return {
        "by_year": [
            {"year": year, "countries": sum(1 for y in dated if y <= year)} for year in years
        ],
        "undated": undated,
        "target": TARGETS["countries"],
    }
