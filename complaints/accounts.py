"""Officer accounts: created by administrators, passwords stored as scrypt hashes (the console logs in
against these)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import Agency, Officer, Role

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A request for an account that cannot be made (unknown agency, taken name, bad role)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def create_officer(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    agency_slug: str | None = None,
) -> Officer:
    """A new console account; officers belong to an agency, other roles may."""
    if role not in set(Role):
        raise AccountError(f"role must be one of: {', '.join(Role)}")
    if session.scalar(select(Officer).where(Officer.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    agency = None
    if agency_slug:
        agency = session.scalar(select(Agency).where(Agency.slug == agency_slug))
        if agency is None:
            raise AccountError(f"no agency {agency_slug!r}")
    if role == Role.OFFICER and agency is None:
        raise AccountError("an officer needs --agency")
    if len(password) < 10:
        raise AccountError("the password needs at least 10 characters")
    officer = Officer(
        username=username,
        display_name=display_name,
        role=role,
        agency_id=agency.id if agency else None,
        password_hash=hash_password(password),
    )
    session.add(officer)
    session.flush()
    return officer
