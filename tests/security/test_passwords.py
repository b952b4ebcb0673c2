"""Passwords: argon2id with the library's defaults, older hashes upgraded at login."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlmodel import select
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    Role,
    User,
)
from tests.factories import PASSWORD
from tests.security.support import argon2_params, fresh


def test_demo_users_get_distinct_password_hashes(app, db):
    from matchmaker.db import session_scope
    from matchmaker.services.demo_data import seed_demo

    with app.app_context(), session_scope(app) as session:
        seed_demo(session, password="sinergi-demo-2026")
    db.rollback()
    hashes = db.exec(select(User.password_hash)).all()
    assert len(hashes) > 3 and len(set(hashes)) == len(hashes)



@pytest.mark.parametrize("method", ["pbkdf2:sha256:600000", "scrypt"])
def test_a_legacy_werkzeug_hash_logs_in_and_is_rehashed_to_argon2id(auth, db, make, method):
    legacy = generate_password_hash(PASSWORD, method=method)
    user = make.user(role=Role.VENDOR, password_hash=legacy)

    response = auth.login(user.email)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    upgraded = fresh(db, User, user.id).password_hash
    assert upgraded.startswith("$argon2id$")
    assert PasswordHasher().verify(upgraded, PASSWORD)


def test_a_legacy_hash_is_not_replaced_by_a_wrong_password(auth, db, make):
    legacy = generate_password_hash(PASSWORD, method="pbkdf2:sha256")
    user = make.user(password_hash=legacy)

    response = auth.login(user.email, "not-the-password-at-all")

    assert response.status_code == 200
    assert fresh(db, User, user.id).password_hash == legacy


def test_an_argon2_hash_with_weaker_parameters_is_upgraded_on_login(auth, db, make):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = make.user(password_hash=weak)

    assert auth.login(user.email).status_code == 302

    upgraded = fresh(db, User, user.id).password_hash
    assert upgraded != weak
    assert argon2_params(upgraded)["m"] == PasswordHasher().memory_cost
    assert not PasswordHasher().check_needs_rehash(upgraded)


def test_a_current_argon2_hash_is_left_alone_on_login(auth, db, make):
    user = make.user()
    before = user.password_hash
    assert auth.login(user.email).status_code == 302
    assert fresh(db, User, user.id).password_hash == before
