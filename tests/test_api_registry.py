"""The registry's REST API, through its ASGI app: tokens and roles, ETags and If-Match,
pagination and filters, imports, and a fuzz of every operation from its OpenAPI schema."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ilrs.api.registry import create_app
from ilrs.cooperation.database import open_registry
from ilrs.cooperation.tokens import issue_token
from registry_backends import backend_params, registry_url


@pytest.fixture(params=backend_params())
def api(request, tmp_path):
    url = registry_url(request.param, tmp_path)
    with open_registry(url).begin() as session:
        tokens = {
            role: issue_token(session, f"{role} user", role)
            for role in ("viewer", "editor", "admin")
        }
    client = TestClient(create_app(url))
    headers = {role: {"Authorization": f"Bearer {secret}"} for role, secret in tokens.items()}
    return client, headers


def test_readers_and_writers_need_their_roles(api):
    client, headers = api
    assert client.get("/api/organisations").status_code == 401
    assert (
        client.get("/api/organisations", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    assert client.get("/api/organisations", headers=headers["viewer"]).status_code == 200
    body = {"name": "Instituto Nacional", "kind": "institute", "country": "BR"}
    refused = client.post("/api/organisations", json=body, headers=headers["viewer"])
    assert refused.status_code == 403 and "editor needed" in refused.json()["detail"]
    assert client.post("/api/organisations", json=body).status_code == 401
    made = client.post("/api/organisations", json=body, headers=headers["editor"])
    assert made.status_code == 201 and made.headers["ETag"] == '"1"'
    history = client.get(f"{made.headers['Location']}/history", headers=headers["viewer"]).json()
    assert [(h["action"], h["actor"]) for h in history] == [("create", "editor user")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", history[0]["at"])


def test_an_edit_must_name_the_version_it_read(api):
    client, headers = api
    made = client.post(
        "/api/organisations",
        json={"name": "Lab B", "kind": "laboratory"},
        headers=headers["editor"],
    )
    where = made.headers["Location"]
    assert client.patch(where, json={"note": "x"}, headers=headers["editor"]).status_code == 428
    first = client.patch(
        where, json={"note": "first"}, headers={**headers["editor"], "If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(
        where, json={"note": "second"}, headers={**headers["editor"], "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and "changed since version 1" in stale.json()["detail"]
    assert client.get(where, headers=headers["viewer"]).json()["note"] == "first"
    unchanged = client.get(where, headers={**headers["viewer"], "If-None-Match": '"2"'})
    assert unchanged.status_code == 304
    gone = client.delete(where, headers={**headers["editor"], "If-Match": '"2"'})
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert client.post(f"{where}/restore", headers=headers["editor"]).status_code == 403
    assert client.post(f"{where}/restore", headers=headers["admin"]).json()["deleted"] is False


def test_pages_and_filters(api):
    client, headers = api
    page = client.get("/api/organisations?limit=5&offset=5", headers=headers["viewer"]).json()
    assert page["total"] == 20 and len(page["items"]) == 5 and page["items"][0]["id"] == 6
    governments = client.get(
        "/api/organisations?kind=government&limit=500", headers=headers["viewer"]
    ).json()
    assert governments["total"] == 15
    found = client.get("/api/agreements?q=kazakhstan", headers=headers["viewer"]).json()
    assert [a["title"] for a in found["items"]] == ["ILRS cooperation (Kazakhstan)"]
    assert client.get("/api/organisations?limit=0", headers=headers["viewer"]).status_code == 422
    assert client.get("/api/planets", headers=headers["viewer"]).status_code == 404
    progress = client.get("/api/progress", headers=headers["viewer"]).json()
    assert progress["counts"]["countries"] == 13


def test_bad_records_and_imports_are_refused_whole(api):
    client, headers = api
    bad = client.post(
        "/api/organisations",
        json={"name": "X", "kind": "castle", "country": "QQ"},
        headers=headers["editor"],
    )
    assert bad.status_code == 422
    assert "country: 'QQ' is not an ISO 3166-1" in bad.json()["detail"]
    csv_body = "name,kind,country\nUni A,university,AR\nUni B,university,XX\nUni C,castle,AR\n"
    refused = client.post(
        "/api/organisations/import",
        content=csv_body,
        headers={**headers["editor"], "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert ":3: country: 'XX'" in detail and ":4: kind: 'castle'" in detail
    total = client.get("/api/organisations", headers=headers["viewer"]).json()["total"]
    assert total == 20
    good = client.post(
        "/api/organisations/import",
        content="name,kind,country\nUni A,university,AR\n",
        headers={**headers["editor"], "Content-Type": "text/csv"},
    )
    assert good.json() == {"imported": 1}


def test_the_openapi_schema_documents_every_operation(api):
    client, _ = api
    schema = client.get("/openapi.json").json()
    assert {"/api/{table}", "/api/{table}/{record_id}", "/api/progress"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/{table}/{record_id}"]) == {"get", "patch", "delete"}


def test_what_a_review_found_stays_fixed(api):
    client, headers = api
    editor = headers["editor"]
    # A stale edit of an agreement's parties is refused (the version rises with them).
    first = client.patch(
        "/api/agreements/1", json={"party_ids": [1, 3]}, headers={**editor, "If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(
        "/api/agreements/1", json={"party_ids": [1, 4]}, headers={**editor, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    # An end date before the stored start, a record its own parent, an empty change.
    backwards = client.patch(
        "/api/agreements/1", json={"ends_on": "1900-01-01"}, headers={**editor, "If-Match": '"2"'}
    )
    assert (
        backwards.status_code == 422 and "before signed_on 2021-06-01" in backwards.json()["detail"]
    )
    own_parent = client.patch(
        "/api/organisations/1", json={"parent_id": 1}, headers={**editor, "If-Match": '"1"'}
    )
    assert own_parent.status_code == 422 and "its own ancestor" in own_parent.json()["detail"]
    empty = client.patch("/api/organisations/1", json={}, headers={**editor, "If-Match": '"1"'})
    assert empty.status_code == 422 and "nothing to change" in empty.json()["detail"]
    # Ids beyond any database integer are simply not there.
    assert (
        client.get("/api/people/99999999999999999999", headers=headers["viewer"]).status_code == 404
    )
    huge = client.post(
        "/api/people", json={"name": "A", "affiliation_id": "99999999999999999999"}, headers=editor
    )
    assert huge.status_code == 422 and "no organisation" in huge.json()["detail"]
    # Country filters read codes in either case; import errors name the body's lines.
    lower = client.get("/api/organisations?country=cn", headers=headers["viewer"]).json()
    assert lower["total"] == 2
    refused = client.post(
        "/api/organisations/import",
        content="name,kind\nX,castle\n",
        headers={**editor, "Content-Type": "text/csv"},
    )
    assert "body:2: kind: 'castle'" in refused.json()["detail"]


def total(client, headers, table="organisations") -> int:
    return client.get(f"/api/{table}?deleted=true", headers=headers["viewer"]).json()["total"]


@pytest.mark.parametrize(
    ("table", "body", "message"),
    [
        # JSON escapes: a lone surrogate and a NUL, as any client may send them (a lone
        # surrogate is refused at the HTTP edge, api.guards, before the route).
        (
            "organisations",
            rb'{"name": "a\ud800", "kind": "institute"}',
            "$.name holds a lone surrogate",
        ),
        (
            "organisations",
            rb'{"name": "a\u0000", "kind": "institute"}',
            "name: 'a\\x00' holds a NUL",
        ),
        (
            "organisations",
            rb'{"name": "x", "kind": "institute", "note": "\u0000"}',
            "note: '\\x00' holds a NUL",
        ),
        (
            "science_projects",
            rb'{"title": "p", "missions": ["\udc80"]}',
            "$.missions[0] holds a lone surrogate",
        ),
        ("organisations", b'{"name": "' + b"x" * 301 + b'", "kind": "institute"}', "name: 'xxx"),
        (
            "contributions",
            b'{"name": "c", "kind": "payload", "organisation_id": 1, "mission": "'
            + b"m" * 101
            + b'"}',
            "is 101 characters long; at most 100",
        ),
        (
            "agreements",
            rb'{"title": "T", "kind": "mou", "status": "signed", "party_ids": [3, 3]}',
            "party_ids: names organisation 3 twice",
        ),
        (
            "agreements",
            rb'{"title": "T", "kind": "mou", "status": "signed", "party_ids": [2147483648]}',
            "party_ids: no organisation 2147483648 (ids run from 1 to 2147483647)",
        ),
        (
            "organisations",
            rb'{"name": "x", "kind": "institute", "parent_id": 9223372036854775808}',
            "parent_id: no organisation 9223372036854775808",
        ),
        (
            "people",
            rb'{"name": "x", "affiliation_id": "2147483648"}',
            "affiliation_id: no organisation '2147483648'",
        ),
        (
            "contributions",
            rb'{"name": "c", "kind": "payload", "organisation_id": 4294967296}',
            "organisation_id: no organisation 4294967296",
        ),
        (
            "contributions",
            b'{"name": "c", "kind": "payload", "organisation_id": 1, "mass_kg": '
            + b"9" * 400
            + b"}",
            "mass_kg: an integer of 1329 bits is too large",
        ),
        (
            "contributions",
            rb'{"name": "c", "kind": "payload", "organisation_id": 1, "mass_kg": "NaN"}',
            "mass_kg: 'NaN' is not a decimal number",
        ),
        (
            "contributions",
            rb'{"name": "c", "kind": "payload", "organisation_id": 1, "mass_kg": "Infinity"}',
            "mass_kg: 'Infinity' is not a decimal number",
        ),
        (
            "contributions",
            rb'{"name": "c", "kind": "payload", "organisation_id": 1, "mass_kg": "1e999"}',
            "mass_kg: '1e999' must be a finite number",
        ),
    ],
)
def test_a_hostile_body_is_a_422_naming_the_field_and_stores_nothing(api, table, body, message):
    client, headers = api
    before = total(client, headers, table)
    answer = client.post(
        f"/api/{table}",
        content=body,
        headers={**headers["editor"], "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    where = f"{table}: " if not message.startswith("$.") else "$."
    assert detail.startswith(where) and message in detail and "\n" not in detail
    assert total(client, headers, table) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=a%00b", "organisations: q: 'a\\x00b' holds a NUL character"),
        ("kind=%00", "organisations: kind: '\\x00' holds a NUL character"),
        ("country=C%00", "organisations: country: 'C\\x00' holds a NUL character"),
        ("q=" + "x" * 200 + "&kind=" + "k" * 40, None),  # at the limits: found nothing
    ],
)
def test_a_viewer_s_filters_are_checked_before_the_database_sees_them(api, query, message):
    client, headers = api
    answer = client.get(f"/api/organisations?{query}", headers=headers["viewer"])
    if message is None:
        assert answer.status_code == 200 and answer.json()["total"] == 0
    else:
        assert answer.status_code == 422 and answer.json()["detail"] == message + (
            " (\\x00), which cannot be stored"
        )
    status = client.get("/api/agreements?status=%00", headers=headers["viewer"])
    assert status.status_code == 422 and "status: '\\x00' holds a NUL" in status.json()["detail"]


def test_a_search_finds_percent_and_underscore_as_themselves(api):
    client, headers = api
    for name in ("100% Solar", "Solar_Lab", "A/B Institute", "Solar Lab X"):
        made = client.post(
            "/api/organisations", json={"name": name, "kind": "company"}, headers=headers["editor"]
        )
        assert made.status_code == 201
    expected = {
        "%": ["100% Solar"],
        "_": ["Solar_Lab"],
        "r_l": ["Solar_Lab"],  # not "Solar Lab X": '_' is no wildcard
        "0%": ["100% Solar"],
        "/": ["A/B Institute"],  # the escape character is itself too
        "sOLAR_lAB": ["Solar_Lab"],  # case aside
        "\\": [],
    }
    for text, names in expected.items():
        found = client.get("/api/organisations", params={"q": text}, headers=headers["viewer"])
        assert [item["name"] for item in found.json()["items"]] == names, text
        assert found.json()["total"] == len(names)


@pytest.mark.parametrize("record_id", [2**31, 2**31 + 1, 2**63, 10**20, 0, -1])
def test_an_id_no_record_can_have_is_a_404_on_every_route(api, record_id):
    client, headers = api
    where = f"/api/organisations/{record_id}"
    editor = {**headers["editor"], "If-Match": '"1"'}
    answers = [
        client.get(where, headers=headers["viewer"]),
        client.get(f"{where}/history", headers=headers["viewer"]),
        client.patch(where, json={"note": "x"}, headers=editor),
        client.delete(where, headers=editor),
        client.post(f"{where}/restore", headers=headers["admin"]),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json()["detail"] == (
            f"organisations: no record {record_id} (ids run from 1 to 2147483647)"
        )


@pytest.mark.parametrize("digits", ["²", "¹", "١٢", "٣", "๑", "９", "9" * 5000, "-1", "1.0", "*"])
def test_if_match_takes_only_ascii_digits(digits):
    from fastapi import HTTPException

    from ilrs.api.registry import _version_from

    with pytest.raises(HTTPException) as refused:
        _version_from(f'"{digits}"')
    assert refused.value.status_code == 400
    assert refused.value.detail.startswith("If-Match ") and "is not an ETag of this API" in (
        refused.value.detail
    )
    assert _version_from('"12"') == _version_from('W/"12"') == _version_from("12") == 12


def test_an_import_is_bounded_in_rows_and_field_size(api):
    from ilrs.cooperation.records import MAX_FIELD_CHARS, MAX_IMPORT_ROWS

    client, headers = api
    editor = {**headers["editor"], "Content-Type": "text/csv"}
    before = total(client, headers)
    rows = "".join(f"Inst {k},institute\n" for k in range(MAX_IMPORT_ROWS + 1))
    many = client.post("/api/organisations/import", content="name,kind\n" + rows, headers=editor)
    assert many.status_code == 422
    assert many.json()["detail"] == (
        "body: more than 10,000 rows; an import takes at most 10,000 (split the file)"
    )
    many_json = client.post(
        "/api/organisations/import",
        json=[{"name": f"Inst {k}", "kind": "institute"} for k in range(MAX_IMPORT_ROWS + 1)],
        headers=headers["editor"],
    )
    assert many_json.status_code == 422
    assert many_json.json()["detail"].startswith("body: 10,001 rows; an import takes at most")
    wide = "name,kind\nA,institute\nB,institute\n" + "x" * (MAX_FIELD_CHARS + 1) + ",institute\n"
    big = client.post("/api/organisations/import", content=wide, headers=editor)
    assert big.status_code == 422
    assert big.json()["detail"] == (
        "body:4: a field is longer than 131,072 characters, the most an import reads"
    )
    dup = client.post(
        "/api/agreements/import",
        content="title,kind,status,party_ids\nT,mou,signed,3;3\n",
        headers=editor,
    )
    assert dup.status_code == 422
    assert "body:2: party_ids: names organisation 3 twice" in dup.json()["detail"]
    not_text = client.post(
        "/api/organisations/import", content=b"name,kind\n\xff,x\n", headers=editor
    )
    assert not_text.status_code == 422 and not_text.json()["detail"] == "body: not UTF-8 text"
    assert total(client, headers) == before


def test_an_empty_value_clears_a_note_and_is_refused_where_a_value_must_be(api):
    """Found by the fuzz: a column that always holds a value (a note, names_ilrs, a
    contribution's status) given empty was written as NULL, a 500."""
    client, headers = api
    editor = {**headers["editor"], "If-Match": '"1"'}
    cleared = client.patch("/api/organisations/1", json={"note": ""}, headers=editor)
    assert cleared.status_code == 200 and cleared.json()["note"] == ""
    refused = client.patch("/api/agreements/1", json={"names_ilrs": None}, headers=editor)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "agreements 1: names_ilrs: must not be empty"
    made = client.post(
        "/api/contributions",
        json={"name": "c", "kind": "payload", "organisation_id": 1, "status": None},
        headers=headers["editor"],
    )
    assert made.status_code == 201 and made.json()["status"] == "planned"
