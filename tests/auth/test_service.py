"""Users, tokens, roles and the audit log."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.auth import service
from hotline.auth.service import Unauthorized
from hotline.errors import Forbidden, NotFound
from hotline.models import AuditEntry, User
from hotline.privacy.vault import Vault
from tests.roster.factories import add_volunteer

VAULT = Vault(b"k" * 40)


def test_a_token_is_returned_once_and_only_its_hash_is_kept(engine: Engine) -> None:
    with db.transaction(engine) as session:
        user, token = service.create_user(session=session, name=" Dana ", role="coordinator")
    assert token.startswith("hl_")
    assert len(token) > 40
    with Session(engine) as session:
        stored = session.get(User, user.id)
        assert stored is not None
        assert stored.name == "Dana"
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(stored)
        assert service.authenticate(session=session, token=token).id == user.id
        entry = session.exec(select(AuditEntry)).one()
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
        "create",
        "user",
        user.id,
        None,
    )
    assert entry.fields == "name,role,volunteer_id"


def test_tokens_are_unique_per_user(engine: Engine) -> None:
    with db.transaction(engine) as session:
        _, first = service.create_user(session=session, name="A", role="coordinator")
        _, second = service.create_user(session=session, name="B", role="coordinator")
    assert first != second


@pytest.mark.parametrize("token", ["", "hl_", "hl_wrong", "Bearer hl_x", "not-ours"])
def test_other_tokens_are_unauthorized(engine: Engine, token: str) -> None:
    with db.transaction(engine) as session:
        service.create_user(session=session, name="A", role="coordinator")
    with Session(engine) as session, pytest.raises(service.Unauthorized) as caught:
        service.authenticate(session=session, token=token)
    assert caught.value.status_code == 401


def test_a_deactivated_user_is_unauthorized(engine: Engine) -> None:
    with db.transaction(engine) as session:
        user, token = service.create_user(session=session, name="A", role="coordinator")
        user.active = False
    with Session(engine) as session, pytest.raises(service.Unauthorized):
        service.authenticate(session=session, token=token)


def test_a_volunteer_user_is_linked_to_an_existing_volunteer(engine: Engine) -> None:
    with db.transaction(engine) as session:
        volunteer = add_volunteer(session, VAULT)
        assert volunteer.id is not None
        user, _ = service.create_user(
            session=session, name="Ana", role="volunteer", volunteer_id=volunteer.id
        )
        assert user.volunteer_id == volunteer.id
        with pytest.raises(service.InvalidField) as unlinked:
            service.create_user(session=session, name="Ana", role="volunteer")
        assert unlinked.value.loc == ("volunteer_id",)
        with pytest.raises(NotFound):
            service.create_user(session=session, name="X", role="volunteer", volunteer_id=999)


@pytest.mark.parametrize(
    ("name", "role", "field"), [("A", "admin", "role"), ("  ", "coordinator", "name")]
)
def test_a_bad_role_or_name_is_refused(engine: Engine, name: str, role: str, field: str) -> None:
    with db.transaction(engine) as session, pytest.raises(service.InvalidField) as caught:
        service.create_user(session=session, name=name, role=role)
    assert caught.value.loc == (field,)
    assert caught.value.status_code == 422


def test_roles() -> None:
    boss = User(name="B", role="coordinator", token_hash="x", volunteer_id=None)
    helper = User(name="H", role="volunteer", token_hash="y", volunteer_id=7)
    service.require_coordinator(user=boss)
    service.require_volunteer_access(user=boss, volunteer_id=3)
    service.require_volunteer_access(user=helper, volunteer_id=7)
    with pytest.raises(Forbidden):
        service.require_coordinator(user=helper)
    with pytest.raises(Forbidden):
        service.require_volunteer_access(user=helper, volunteer_id=3)


def test_the_audit_log_keeps_field_names_and_never_values(engine: Engine) -> None:
    with db.transaction(engine) as session:
        user, _ = service.create_user(session=session, name="A", role="coordinator")
        entry = service.record(
            session=session,
            user=user,
            action="update",
            entity="volunteer",
            entity_id=12,
            fields=["phone", "languages"],
        )
    assert (entry.user_id, entry.action, entry.entity, entry.entity_id, entry.fields) == (
        user.id,
        "update",
        "volunteer",
        12,
        "phone,languages",
    )
    assert entry.at.tzinfo is not None


def test_tokens_expire_and_a_rotated_token_replaces_the_old_one(engine: Engine) -> None:

    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        user, token = service.create_user(
            session=session, name="Dana", role="coordinator", expires_days=1, now=now
        )
        assert service.authenticate(session=session, token=token, now=now).id == user.id
        with pytest.raises(Unauthorized):
            service.authenticate(session=session, token=token, now=now + timedelta(days=1))
        assert user.id is not None
        _, fresh = service.rotate_token(session=session, user_id=user.id, now=now)
        with pytest.raises(Unauthorized):
            service.authenticate(session=session, token=token, now=now)
        assert service.authenticate(session=session, token=fresh, now=now).id == user.id
        with pytest.raises(service.InvalidField):
            service.create_user(session=session, name="X", role="coordinator", expires_days=0)


def test_an_expired_token_gets_401(client: object, engine: Engine) -> None:

    assert isinstance(client, TestClient)
    with db.transaction(engine) as session:
        user, token = service.create_user(session=session, name="Dana", role="coordinator")
        user.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(user)
    answer = client.get("/api/v1/volunteers", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
