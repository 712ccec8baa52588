"""The cooperation registry: its schema by migration, the seed article's facts as the
article tells them, and the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, inspect, select

from ilrs.cli import main
from ilrs.cooperation.answers import participation, pending, progress
from ilrs.cooperation.database import migrate, open_registry
from ilrs.cooperation.models import Agreement, Organisation
from ilrs.cooperation.seed import name_key
from registry_backends import backend_params, registry_url


@pytest.fixture(params=backend_params())
def registry(request, tmp_path):
    url = registry_url(request.param, tmp_path)
    return url, open_registry(url)


def test_the_seed_article_s_facts_come_out_as_it_tells_them(registry):
    _, sessions = registry
    with sessions() as session:
        countries = participation(session)
        # China, Russia and the ten the article names: twelve in, directly.
        direct = sorted(code for code, p in countries.items() if p.how == "direct")
        assert direct == sorted(
            ["CN", "RU", "VE", "BY", "PK", "AZ", "ZA", "EG", "NI", "TH", "RS", "KZ"]
        )
        # Peru through APSCO, Hungary through its foundation's MoU with DSEL: by extension.
        assert countries["PE"].how == "by extension"
        assert "Asia-Pacific Space Cooperation Organization" in countries["PE"].evidence[0]
        assert countries["HU"].how == "by extension"
        # Bahrain signed, but not on the ILRS; Turkey has applied; ESA declined.
        assert "BH" not in countries
        bahrain = session.scalars(
            select(Agreement).where(Agreement.title.contains("Bahrain"))
        ).one()
        assert bahrain.status == "signed" and bahrain.names_ilrs is False
        assert [a.title for a in pending(session)] == ["Application to join the ILRS (Türkiye)"]
        esa = session.scalars(select(Agreement).where(Agreement.title.startswith("ESA "))).one()
        assert esa.status == "declined"
        ilrsco = session.scalars(
            select(Organisation).where(
                Organisation.name.contains("Lunar Research Station Cooperation")
            )
        ).one()
        assert "not yet announced" in ilrsco.note
        figures = progress(session)
    assert figures["targets"] == {"countries": 50, "institutions": 500, "researchers": 5000}
    assert figures["counts"] == {"countries": 13, "institutions": 1, "researchers": 0}
    assert figures["countries_by_extension"] == ["HU", "PE"]
    assert len(figures["countries_direct"]) == 11  # foreign: all but China
    assert figures["fraction"]["countries"] == pytest.approx(13 / 50)
    # Over time: Russia from June 2021, Hungary (by extension) from July 2024; the article
    # dates no other joining, and the registry does not invent one.
    over_time = {row["year"]: row["countries"] for row in figures["over_time"]["by_year"]}
    assert over_time[2021] == over_time[2023] == 1 and over_time[2024] == 2
    assert len(figures["over_time"]["undated"]) == 11 and "PE" in figures["over_time"]["undated"]


def test_the_seed_is_stored_once(registry):
    url, sessions = registry
    again = open_registry(url)
    with again() as session:
        assert len(session.scalars(select(Organisation)).all()) == 20
        assert len(session.scalars(select(Agreement)).all()) == 16


def test_the_schema_comes_from_the_migrations_and_goes_back(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    migrate(engine)
    names = set(inspect(engine).get_table_names())
    assert {
        "organisations",
        "agreements",
        "agreement_parties",
        "people",
        "contributions",
        "science_projects",
        "sources",
        "audit",
        "alembic_version",
    } <= names
    migrate_down = __import__("alembic.command", fromlist=["downgrade"]).downgrade
    from ilrs.cooperation.database import _alembic_config

    with engine.begin() as connection:
        migrate_down(_alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert "organisations" in inspect(engine).get_table_names()


def test_names_fold_to_one_key():
    assert name_key("Türkiye") == name_key("TURKIYE.") == name_key("  turkiye ")
    assert name_key("Asia-Pacific Space Cooperation Organization") == (
        "asia pacific space cooperation organization"
    )


def test_the_cli_lists_and_counts(registry, capsys):
    url, _ = registry
    assert main(["registry", "progress", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["countries"] == 13
    assert main(["registry", "list", "--db", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "country,how,since,evidence"
    assert any(line.startswith("PE,by extension,") for line in lines)
    assert main(["registry", "list", "agreements", "--db", url, "--format", "json"]) == 0
    agreements = json.loads(capsys.readouterr().out)
    assert {a["status"] for a in agreements} == {"signed", "applied", "active", "declined"}


def test_a_registry_that_cannot_be_opened_is_a_clear_error(tmp_path, capsys):
    assert main(["registry", "progress", "--db", "postgresql://nobody@localhost:1/none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ilrs: error: ") and "registry" in err
    assert "Traceback" not in err
