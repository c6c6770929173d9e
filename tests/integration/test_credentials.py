"""What the table holds of an owner's secrets: passwords only as scrypt hashes, API keys only as SHA-256 of a
256-bit random key that is shown once and can be revoked."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest

from survey_app.services import api_key_grant, create_api_key, create_owner, revoke_api_key
from tests.conftest import csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
KEY = re.compile(r"sk_[A-Za-z0-9_-]{43}")


def table_text(store) -> str:
    return repr(store.client.scan(TableName=store.table_name)["Items"])


@MOTO
def test_a_password_is_stored_only_as_an_scrypt_hash(store):
    create_owner(store, "Rina@Toko.test", "kopi-gayo-250g")
    owner = store.get_owner("rina@toko.test")
    assert owner.password_hash.startswith("scrypt:") and "kopi-gayo-250g" not in table_text(store)


@MOTO
def test_api_keys_are_256_bit_random_and_only_their_sha256_is_stored(store):
    keys = {create_api_key(store, f"shop {i}", "owner@example.test") for i in range(20)}
    assert len(keys) == 20 and all(KEY.fullmatch(key) for key in keys)
    assert {len(base64.urlsafe_b64decode(key[3:] + "=")) for key in keys} == {32}  # 32 bytes: 256 bits
    text = table_text(store)
    assert not any(key in text for key in keys)
    assert all(hashlib.sha256(key.encode()).hexdigest() in text for key in keys)


@MOTO
def test_a_revoked_key_is_refused(store):
    key = create_api_key(store, "shop", "owner@example.test")
    assert api_key_grant(store, key).owner == "owner@example.test"
    assert revoke_api_key(store, hashlib.sha256(key.encode()).hexdigest())
    assert api_key_grant(store, key) is None


@MOTO
def test_a_new_key_is_shown_once(client, owner):
    owner.login()
    created = client.post("/owner/api-keys", data={"csrf_token": csrf_token(client, "/owner/api-keys"),
                                                   "label": "Shopify", "scopes": ["purchases"]}).get_data(as_text=True)
    (key,) = set(KEY.findall(created))
    page = client.get("/owner/api-keys").get_data(as_text=True)
    assert "Shopify" in page and key not in page and not KEY.search(page)
