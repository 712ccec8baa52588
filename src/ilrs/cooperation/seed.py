"""The registry's first facts: the public record of the seed article (``ilrs/data/
registry_seed.yaml``), stored with their source on first use of an empty registry."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ilrs.cooperation.models import Agreement, AgreementParty, AuditEntry, Organisation, Source
from ilrs.data import data_path

__all__ = ["name_key", "seed_if_empty"]

SEED_ACTOR = "seed"


def name_key(name: str) -> str:
    """A name folded for comparison: accents, case, punctuation and spacing set aside, so
    'Türkiye', 'TURKIYE' and 'Turkiye.' are one key."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def seed_if_empty(session: Session) -> bool:
    """Store the seed facts if the registry holds no organisation; True if it did."""
    if session.scalar(select(func.count()).select_from(Organisation)):
        return False
    with data_path("registry_seed.yaml").open(encoding="utf-8") as stream:
        facts = yaml.safe_load(stream)
    sources = {}
    for item in facts["sources"]:
        published = item.get("published")
        sources[item["key"]] = Source(
            url=item["url"],
            title=item["title"],
            published=published if isinstance(published, dt.date) else None,
        )
    session.add_all(sources.values())
    seed_source = sources["seed"]
    organisations = {}
    for item in facts["organisations"]:
        organisation = Organisation(
            name=item["name"],
            name_key=name_key(item["name"]),
            kind=item["kind"],
            country=item.get("country"),
            note=item.get("note", ""),
            source=seed_source,
        )
        organisations[item["key"]] = organisation
    session.add_all(organisations.values())
    for item in facts["agreements"]:
        agreement = Agreement(
            title=item["title"],
            kind=item["kind"],
            status=item["status"],
            names_ilrs=item.get("names_ilrs", True),
            signed_on=item.get("signed_on"),
            via=organisations[item["via"]] if item.get("via") else None,
            note=item.get("note", ""),
            source=seed_source,
        )
        agreement.parties = [
            AgreementParty(organisation=organisations[key]) for key in item["parties"]
        ]
        session.add(agreement)
    session.flush()
    for table, records in (("organisations", organisations.values()), ("agreements", [])):
        for record in records:
            session.add(
                AuditEntry(
                    table_name=table,
                    record_id=record.id,
                    action="create",
                    actor=SEED_ACTOR,
                    after={"name": record.name},
                )
            )
    return True
