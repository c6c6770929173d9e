"""Owners and their team, single-use links (invitations, password resets: stored as hashes only), login
throttling, API keys (hashes only) and fixed-window rate-limit counters."""
from __future__ import annotations

from dataclasses import replace

from ..domain.models import Owner
from ..errors import AlreadyAnswered
from .table import Table, from_item, to_item

TEAM_KEY = {"pk": "TEAM", "sk": "ADMINS"}  # how many admins there are: the last one cannot leave or be demoted
LINK_KINDS = ("TEAMINVITE", "PWRESET")


class LastAdmin(Exception):
    """The change would leave the team without an admin."""


def _owner_item(owner: Owner) -> dict:
    return {"pk": f"OWNER#{owner.email}", "sk": "OWNER", "gsi1pk": "OWNERS", "gsi1sk": owner.email,
            "email": owner.email, "password_hash": owner.password_hash, "role": owner.role,
            "session_version": owner.session_version, "totp_secret": owner.totp_secret,
            "recovery_codes": list(owner.recovery_codes), "totp_last_step": owner.totp_last_step}


def _owner(item: dict) -> Owner:
    return Owner(email=item["email"], password_hash=item["password_hash"], role=item.get("role", "admin"),
                 session_version=item.get("session_version", 1), totp_secret=item.get("totp_secret", ""),
                 recovery_codes=tuple(item.get("recovery_codes", ())), totp_last_step=item.get("totp_last_step", 0))


def _admins_change(delta: int) -> dict:
    """The admin count moves with the owner item, in one transaction; going down, only while another admin stays."""
    update = {"Key": to_item(TEAM_KEY), "UpdateExpression": "ADD admins :d",
              "ExpressionAttributeValues": to_item({":d": delta})}
    if delta < 0:
        update["ConditionExpression"] = "admins > :one"
        update["ExpressionAttributeValues"] = to_item({":d": delta, ":one": 1})
    return {"Update": update}


def _unchanged(version: int, value: str) -> str:
    """The owner item is as read: the same session version (an owner from before versions were kept has none,
    which reads as 1)."""
    same = f"session_version = {value}"
    return f"({same} OR attribute_not_exists(session_version))" if version == 1 else same


def _admin_delta(before: str | None, after: str | None) -> int:
    return (after == "admin") - (before == "admin")


class AccountItems(Table):
    def put_owner(self, owner: Owner, previous: Owner | None = None) -> None:
        """A new owner, or one replacing `previous` exactly as read (another change in between refuses).

        :raises AlreadyAnswered: the owner exists (or changed since `previous` was read).
        :raises LastAdmin: `previous` was the last admin and `owner` is not one.
        """
        if previous is None:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {"ConditionExpression": _unchanged(previous.session_version, ":v"),
                         "ExpressionAttributeValues": to_item({":v": previous.session_version})}
        put = {"Put": {"Item": to_item(_owner_item(owner)), **condition}}
        self._team_transaction(put, _admin_delta(previous and previous.role, owner.role))

    def get_owner(self, email: str) -> Owner:
        return _owner(self._get(f"OWNER#{email}", "OWNER"))

    def list_owners(self) -> list[Owner]:
        return [_owner(item) for item in self._query(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=to_item({":pk": "OWNERS"}))]

    def change_owner(self, owner: Owner, **changes) -> Owner | None:
        """Set attributes of the owner as read and revoke its sessions (session version +1); None when it
        changed or left in between. An empty value removes the attribute.

        :raises LastAdmin: it is the last admin and `role` would take that away.
        """
        changes["session_version"] = owner.session_version + 1
        kept = {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items() if v != ""}
        removed = [k for k, v in changes.items() if v == ""]
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in kept) + (
            " REMOVE " + ", ".join(f"#{k}" for k in removed) if removed else "")
        update = {"Update": {
            "Key": to_item({"pk": f"OWNER#{owner.email}", "sk": "OWNER"}),
            "UpdateExpression": expression, "ConditionExpression": _unchanged(owner.session_version, ":was"),
            "ExpressionAttributeNames": {f"#{k}": k for k in changes},
            "ExpressionAttributeValues": to_item({f":{k}": v for k, v in kept.items()} | {":was": owner.session_version}),
        }}
        try:
            self._team_transaction(update, _admin_delta(owner.role, changes.get("role", owner.role)))
        except AlreadyAnswered:
            return None
        return replace(owner, **changes)

    def remove_owner(self, owner: Owner) -> bool:
        """:raises LastAdmin: it is the last admin."""
        delete = {"Delete": {"Key": to_item({"pk": f"OWNER#{owner.email}", "sk": "OWNER"}),
                             "ConditionExpression": "attribute_exists(pk)"}}
        try:
            self._team_transaction(delete, _admin_delta(owner.role, None))
        except AlreadyAnswered:
            return False
        return True

    def admin_count(self) -> int | None:
        """None before the first admin change of a table whose owners predate the count."""
        item = self._call("get_item", Key=to_item(TEAM_KEY), ConsistentRead=True).get("Item")
        return from_item(item).get("admins") if item else None

    def start_admin_count(self, admins: int) -> bool:
        return self._conditional("put_item", Item=to_item(TEAM_KEY | {"admins": admins}),
                                 ConditionExpression="attribute_not_exists(pk)")

    def _team_transaction(self, action: dict, admin_delta: int) -> None:
        items = [action] + ([_admins_change(admin_delta)] if admin_delta else [])
        try:
            self._transact(items)
        except AlreadyAnswered as refused:
            if admin_delta < 0 and refused.args and list(refused.args[0])[-1] == "ConditionalCheckFailed":
                raise LastAdmin() from refused
            raise

    def use_recovery_code(self, email: str, code_hash: str) -> bool:
        """Takes one recovery code out of the owner's list; False when it is not (or no longer) there."""
        owner = self.get_owner(email)
        if code_hash not in owner.recovery_codes:
            return False
        return self._conditional(
            "update_item", Key=to_item({"pk": f"OWNER#{email}", "sk": "OWNER"}),
            UpdateExpression="SET recovery_codes = :left", ConditionExpression="recovery_codes = :was",
            ExpressionAttributeValues=to_item({":left": [h for h in owner.recovery_codes if h != code_hash],
                                               ":was": list(owner.recovery_codes)}))

    def use_totp_step(self, email: str, step: int) -> bool:
        """Records a TOTP time step as used; False when it (or a later one) already was: no replay."""
        return self._conditional(
            "update_item", Key=to_item({"pk": f"OWNER#{email}", "sk": "OWNER"}),
            UpdateExpression="SET totp_last_step = :s",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(totp_last_step) OR totp_last_step < :s)",
            ExpressionAttributeValues=to_item({":s": step}))

    def put_link(self, kind: str, token_hash: str, values: dict, created_at: str, expires_epoch: int) -> None:
        """A single-use link (team invitation, password reset) by the hash of its token; invitations are listed."""
        assert kind in LINK_KINDS
        listing = {"gsi1pk": "TEAMINVITES", "gsi1sk": created_at} if kind == "TEAMINVITE" else {}
        item = {"pk": f"{kind}#{token_hash}", "sk": kind, "created_at": created_at, "expires_epoch": expires_epoch,
                "token_hash": token_hash} | listing | values
        self._call("put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_link(self, kind: str, token_hash: str) -> dict:
        return self._get(f"{kind}#{token_hash}", kind)

    def list_team_invitations(self) -> list[dict]:
        return list(self._query(IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
                                ExpressionAttributeValues=to_item({":pk": "TEAMINVITES"}), ScanIndexForward=False))

    def delete_link(self, kind: str, token_hash: str) -> bool:
        return self._conditional("delete_item", Key=to_item({"pk": f"{kind}#{token_hash}", "sk": kind}),
                                 ConditionExpression="attribute_exists(pk)")

    def accept_team_invitation(self, token_hash: str, owner: Owner, now_epoch: int) -> None:
        """The invitation is spent and the owner created in one transaction: a link works once.

        :raises AlreadyAnswered: the link was used, has expired, or the address already has an account.
        """
        spend = {"Delete": {"Key": to_item({"pk": f"TEAMINVITE#{token_hash}", "sk": "TEAMINVITE"}),
                            "ConditionExpression": "expires_epoch > :now",
                            "ExpressionAttributeValues": to_item({":now": now_epoch})}}
        put = {"Put": {"Item": to_item(_owner_item(owner)), "ConditionExpression": "attribute_not_exists(pk)"}}
        items = [spend, put] + ([_admins_change(1)] if owner.role == "admin" else [])
        self._transact(items)

    def reset_password(self, token_hash: str, owner: Owner, password_hash: str, now_epoch: int) -> None:
        """The reset link is spent and the password set (sessions revoked) in one transaction.

        :raises AlreadyAnswered: the link was used or expired, or the account changed since it was sent.
        """
        spend = {"Delete": {"Key": to_item({"pk": f"PWRESET#{token_hash}", "sk": "PWRESET"}),
                            "ConditionExpression": "expires_epoch > :now AND session_version = :v",
                            "ExpressionAttributeValues": to_item({":now": now_epoch, ":v": owner.session_version})}}
        update = {"Update": {
            "Key": to_item({"pk": f"OWNER#{owner.email}", "sk": "OWNER"}),
            "UpdateExpression": "SET password_hash = :h, session_version = :next",
            "ConditionExpression": _unchanged(owner.session_version, ":v"),
            "ExpressionAttributeValues": to_item({":h": password_hash, ":v": owner.session_version,
                                                  ":next": owner.session_version + 1})}}
        self._transact([spend, update])

    def login_attempts(self, keys: list[tuple[str, str]]) -> list[dict]:
        """The throttle items (pk, sk) as stored; an empty dict for one never written."""
        found = []
        for pk, sk in keys:
            item = self._call("get_item", Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True).get("Item")
            found.append(from_item(item) if item else {})
        return found

    def claim_login_attempts(self, claims: list[tuple[dict, dict]]) -> bool:
        """One attempt counted on each throttle item, only if none changed since it was read (concurrent
        guesses cannot share a slot). `claims`: (item as read, new values). False: another attempt got there."""
        items = []
        for before, after in claims:
            condition = ("attribute_not_exists(pk)" if not before.get("attempts")
                         else "attempts = :was")
            values = {f":{k}": v for k, v in after.items() if k not in ("pk", "sk")}
            if before.get("attempts"):
                values[":was"] = before["attempts"]
            items.append({"Update": {
                "Key": to_item({"pk": after["pk"], "sk": after["sk"]}),
                "UpdateExpression": "SET " + ", ".join(f"{k} = :{k}" for k in after if k not in ("pk", "sk")),
                "ConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}})
        try:
            self._transact(items)
        except AlreadyAnswered:
            return False
        return True

    def forget_login_attempts(self, pk: str, sk: str) -> None:
        self._call("delete_item", Key=to_item({"pk": pk, "sk": sk}))

    def throttled_addresses(self, email: str) -> list[dict]:
        """The addresses with counted attempts on this account."""
        return list(self._partition(f"LOGINFAIL#{email}"))

    def put_api_key(self, key_hash: str, label: str, created_by: str, created_at: str, scopes: list[str],
                    surveys: list[str]) -> None:
        """`surveys` empty: every survey."""
        item = {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY", "label": label, "created_by": created_by,
                "created_at": created_at, "gsi1pk": "APIKEYS", "gsi1sk": created_at, "key_hash": key_hash,
                "scopes": scopes, "surveys": surveys}
        self._call("put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_api_key(self, key_hash: str) -> dict:
        return self._get(f"APIKEY#{key_hash}", "APIKEY")

    def list_api_keys(self) -> list[dict]:
        return list(self._query(IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
                                ExpressionAttributeValues=to_item({":pk": "APIKEYS"}), ScanIndexForward=False))

    def revoke_api_key(self, key_hash: str, revoked_at: str) -> bool:
        return self._conditional(
            "update_item", Key=to_item({"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}),
            UpdateExpression="SET revoked_at = :at", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":at": revoked_at}),
        )

    def rate_hits(self, key: str, window: str) -> int:
        item = self._call("get_item", Key=to_item({"pk": f"RATE#{key}", "sk": window}), ConsistentRead=True)
        return int(item["Item"]["hits"]["N"]) if "Item" in item else 0

    def take_rate_token(self, key: str, window: str, limit: int, expires_epoch: int) -> bool:
        """One hit in a fixed window; False once `limit` hits are used. Old windows expire by TTL."""
        return self._conditional(
            "update_item", Key=to_item({"pk": f"RATE#{key}", "sk": window}),
            UpdateExpression="ADD hits :one SET expires_epoch = :ttl",
            ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
            ExpressionAttributeValues=to_item({":one": 1, ":ttl": expires_epoch, ":limit": limit}),
        )
