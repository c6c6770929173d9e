"""A mapping: which role each column of a file plays. Suggested from the headers, confirmed by the owner once,
remembered per survey under the fingerprint of the headers, so the next file of the same shape needs no questions."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from ..domain.segments import SYSTEM_SEGMENTS
from .headers import (DROP, EMAIL, KEEP, LANGUAGE, NAME, ORDER, PHONE, ROLES, SEGMENT, STATUS, TIME, normal,
                      platform_of, suggest_roles)
from .table import Unreadable
from .values import parse_number

SEGMENTS = "__segments__"  # key of a mapped row: the names of its properties chosen as segments
UNREADABLE = "__unreadable__"  # key of a mapped row the file reader could not read: the reason
MAX_SEGMENTS = 5  # chosen segment columns per file: every one is an aggregate item per answer
MAX_KEPT = 20  # kept and segment columns together (an invitation holds at most 20 properties)
ONE_COLUMN = (ORDER, PHONE, EMAIL, TIME, LANGUAGE, STATUS)
CANONICAL = {"order_ref": ORDER, "name": NAME, "customer_name": NAME, "phone": PHONE, "email": EMAIL,
             "purchased_at": TIME, "language": LANGUAGE, "status": STATUS}
RESERVED = set(CANONICAL) | set(SYSTEM_SEGMENTS)


def fingerprint(headers: list[str] | tuple[str, ...]) -> str:
    """Same columns in the same order, whatever their case or punctuation: the same shape of file."""
    return hashlib.sha256("\x1f".join(normal(h) for h in headers).encode()).hexdigest()[:20]


def property_name(header: str) -> str:
    """The name a kept column has on the invitation (and in segment keys, so never a '#')."""
    name = re.sub(r"[^\w]+", "_", header.casefold()).strip("_")[:36] or "column"
    return f"{name}_col" if name in RESERVED else name


@dataclass(frozen=True)
class Mapping:
    headers: tuple[str, ...]
    roles: tuple[str, ...]
    name: str = ""
    platform: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.headers)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(property_name(h) for h, r in zip(self.headers, self.roles) if r == SEGMENT)

    def problems(self) -> list[str]:
        """Why this mapping cannot import anything; empty when it can."""
        counts = {role: self.roles.count(role) for role in ROLES}
        found = []
        if len(self.roles) != len(self.headers) or set(self.roles) - set(ROLES):
            found.append("every column needs one of the roles")
        if counts[ORDER] != 1:
            found.append("choose exactly one column as the order reference (it makes re-imports safe)")
        if not (counts[PHONE] or counts[EMAIL]):
            found.append("choose a phone or an e-mail column: invitations need a way to reach the customer")
        found += [f"only one column can be the {role.replace('_', ' ')}" for role in ONE_COLUMN[1:] if counts[role] > 1]
        if counts[SEGMENT] > MAX_SEGMENTS:
            found.append(f"at most {MAX_SEGMENTS} segment columns (each is counted on every answer)")
        if counts[SEGMENT] + counts[KEEP] > MAX_KEPT:
            found.append(f"at most {MAX_KEPT} columns kept or used as segments")
        return found

    def apply(self, cells: list[str] | Unreadable) -> dict[str, object]:
        """A row as the purchase fields parse_purchase reads; kept numbers in one plain form ('85.000' -> 85000)."""
        if isinstance(cells, Unreadable):
            return {UNREADABLE: str(cells)}
        row: dict[str, object] = {}
        names = []
        for header, role, value in zip(self.headers, self.roles, list(cells) + [""] * len(self.headers)):
            value = value.strip()
            if role == NAME:
                names.append(value)
            elif role in (SEGMENT, KEEP):
                row[property_name(header)] = parse_number(value) or value
            elif role != DROP:
                row[role] = value
        row["name"] = " ".join(n for n in names if n)
        row[SEGMENTS] = self.segment_names
        return row

    def to_dict(self) -> dict:
        return {"headers": list(self.headers), "roles": list(self.roles), "name": self.name,
                "platform": self.platform}

    @classmethod
    def from_dict(cls, data: dict) -> "Mapping":
        return cls(tuple(data["headers"]), tuple(data["roles"]), data.get("name", ""), data.get("platform", ""))

    def with_roles(self, roles: list[str], name: str = "") -> "Mapping":
        return replace(self, roles=tuple(roles), name=name or self.name)


def suggest(headers: list[str]) -> Mapping:
    """The mapping a file's headers suggest, named after the platform that wrote it where that is recognised."""
    platform = platform_of(headers)
    return Mapping(tuple(headers), _within_limits(suggest_roles(headers)), platform or "", platform)


def _within_limits(roles: tuple[str, ...]) -> tuple[str, ...]:
    """Suggestions past the limits step down: a sixth segment is kept, a twenty-first kept column dropped."""
    capped, segments, kept = [], 0, 0
    for role in roles:
        if role == SEGMENT:
            segments += 1
            role = SEGMENT if segments <= MAX_SEGMENTS else KEEP
        if role in (SEGMENT, KEEP):
            kept += 1
            role = role if kept <= MAX_KEPT else DROP
        capped.append(role)
    return tuple(capped)


def canonical(headers: list[str]) -> Mapping | None:
    """A file in the app's own documented format (an order_ref column, our names): it needs no questions, and
    its other columns are its segments, as the format has always said."""
    lowered = [h.casefold() for h in headers]
    if "order_ref" not in lowered:
        return None
    return Mapping(tuple(headers), tuple(CANONICAL.get(h, SEGMENT) if h else DROP for h in lowered), "standard")
