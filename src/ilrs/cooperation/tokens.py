"""API tokens: made with a role, kept only as the SHA-256 of their secret, checked on each
request. Secrets are 256 random bits, so one fast hash is enough (no dictionary can reach
them); what matters is that a stolen database gives no usable key."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ilrs.cooperation.models import ROLES, ApiToken, max_chars
from ilrs.cooperation.records import check_text
from ilrs.errors import InputError

__all__ = ["ROLES", "allows", "issue_token", "revoke_token", "token_for"]

_PREFIX = "ilrs_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_name(name: str) -> None:
    try:
        check_text(name, max_chars(ApiToken.__table__.c.name))
    except ValueError as error:
        raise InputError(f"token name: {error}") from None


def issue_token(session: Session, name: str, role: str) -> str:
    """Make a token; returns its secret, which is not stored and cannot be shown again."""
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    _check_name(name)
    if not name.strip():
        raise InputError("a token needs a name (the audit records it as the actor)")
    exists = InputError(f"a token named {name!r} exists; revoke it or choose another name")
    if session.scalars(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise exists
    secret = _PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role, secret_sha256=_digest(secret)))
    try:
        session.flush()
    except IntegrityError:  # made meanwhile by another writer: the unique key decides
        raise exists from None
    return secret


def revoke_token(session: Session, name: str) -> None:
    _check_name(name)
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if token is None:
        raise InputError(f"no token named {name!r}")
    token.revoked_at = dt.datetime.now(dt.UTC)


def token_for(session: Session, secret: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    token = session.scalars(
        select(ApiToken).where(ApiToken.secret_sha256 == _digest(secret))
    ).first()
    return token if token is not None and token.revoked_at is None else None


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)
