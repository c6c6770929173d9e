"""Purchase files in: read whatever the shop downloaded, find or ask for its mapping, preview, import.

The web, the CLI and the import job all go through here, so a file imports the same way wherever it comes in.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Iterable, Iterator

from ..domain.models import Survey
from ..imports.mapping import Mapping, canonical, fingerprint, suggest
from ..imports.table import LINE_COLUMN, Table, csv_table, normalised_lines, read_normalised
from ..store import Store
from .common import new_token
from .invitations import PurchaseError, PurchaseSkipped, parse_purchase, send_time

UPLOAD_HOURS = 24  # an upload waits this long for its mapping
PREVIEW_ROWS = 5


class MappingError(ValueError):
    """A mapping asked for by name that this file cannot use; the message says why."""


@dataclass(frozen=True)
class PreviewRow:
    line: int
    cells: list[str]
    outcome: str  # invite, skip or refuse
    detail: str


def normalised_text(table: Table) -> tuple[str, int]:
    """The file as the UTF-8 CSV copy that waits for its mapping or its job, and its number of rows."""
    text = "".join(normalised_lines(table))
    return text, sum(1 for _ in read_text(text).rows)


def read_text(text: str) -> Table:
    """A normalised copy held as one string, read back row by row."""
    return read_normalised(io.StringIO(text, newline=""))


def known_mapping(store: Store, survey_id: str, headers: list[str], name: str = "") -> Mapping | None:
    """The mapping a file imports with, without asking: the one named, the app's own format, or the one saved for
    this shape of file. None: the owner has to choose (the mapping step).

    :raises MappingError: a named mapping that does not exist or lacks one of its columns in this file.
    """
    if name:
        return named_mapping(store, survey_id, headers, name)
    own = canonical(headers)
    if own is not None:
        return own
    saved = store.mapping_for(survey_id, fingerprint(headers))
    return Mapping.from_dict(saved) if saved else None


def named_mapping(store: Store, survey_id: str, headers: list[str], name: str) -> Mapping:
    """A saved mapping applied to this file by column name: the order of the columns may differ."""
    saved = next((Mapping.from_dict(m) for m in store.mappings_of(survey_id) if m.get("name") == name), None)
    if saved is None:
        raise MappingError(f"no mapping named {name!r} for this survey")
    roles = dict(zip(saved.headers, saved.roles))
    missing = [h for h, role in roles.items() if role != "drop" and h not in headers]
    if missing:
        raise MappingError(f"mapping {name!r} needs the column {missing[0]!r}, which this file does not have")
    return Mapping(tuple(headers), tuple(roles.get(h, "drop") for h in headers), name, saved.platform)


def save_mapping(store: Store, survey_id: str, mapping: Mapping) -> None:
    store.put_mapping(survey_id, mapping.fingerprint, mapping.to_dict())


def mapped_rows(table: Table, mapping: Mapping) -> Iterator[tuple[int, dict]]:
    return ((line, mapping.apply(cells)) for line, cells in table.rows)


def stored_rows(lines: Iterable[str], mapping: dict | None) -> Iterator[tuple[int, dict]]:
    """Rows of a file waiting in a bucket for its job: the normalised copy, or a plain CSV in the app's format."""
    lines = iter(lines)
    first = next(lines, "")
    source = _chain(first, lines)
    table = read_normalised(source) if first.startswith(LINE_COLUMN) else csv_table(source)
    chosen = Mapping.from_dict(mapping) if mapping else canonical(table.headers) or suggest(table.headers).with_roles(
        ["drop"] * len(table.headers))
    return mapped_rows(table, chosen)


def order_batches(rows: Iterable[tuple[int, dict]], size: int) -> Iterator[list[tuple[int, dict]]]:
    """Batches of `size` rows, lengthened so none ends inside an order: a marketplace writes an order's item lines
    one after another and only the first carries the customer, so the importer (which counts the others as
    duplicates of it) must see them together, and a job run (which stops between batches) must not part them."""
    batch: list[tuple[int, dict]] = []
    for row in rows:
        if len(batch) >= size and not _same_order(batch[-1][1], row[1]):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _same_order(one: dict, other: dict) -> bool:
    ref = str(one.get("order_ref") or "").strip()
    return bool(ref) and ref == str(other.get("order_ref") or "").strip()


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def stage_upload(store: Store, survey_id: str, text: str, now: datetime) -> str | None:
    """Keeps a file until its mapping is chosen; None when it is too big to wait in one item."""
    upload_id = new_token()
    expires = int((now + timedelta(hours=UPLOAD_HOURS)).timestamp())
    return upload_id if store.put_upload(survey_id, upload_id, text, expires) else None


def staged_table(store: Store, survey_id: str, upload_id: str) -> tuple[str, Table]:
    """:raises NotFound: unknown, imported already or expired."""
    text = store.upload_text(survey_id, upload_id)
    return text, read_text(text)


def preview(table: Table, mapping: Mapping, survey: Survey, now: datetime, country_code: str,
            tz_name: str) -> list[PreviewRow]:
    """What each of the first rows will become, decided exactly as the import decides (nothing is written)."""
    rows = []
    for line, cells in islice(table.rows, PREVIEW_ROWS):
        try:
            purchase = parse_purchase(mapping.apply(cells), now, country_code, tz_name)
            at = send_time(survey, purchase, now)
        except PurchaseError as error:
            rows.append(PreviewRow(line, list(cells), "skip" if isinstance(error, PurchaseSkipped) else "refuse",
                                   str(error)))
            continue
        who = " ".join(x for x in (purchase.customer_name, purchase.phone or purchase.email) if x)
        segments = ", ".join(f"{k}={purchase.properties[k]}" for k in mapping.segment_names
                             if k in purchase.properties)
        rows.append(PreviewRow(line, list(cells), "invite",
                               f"{purchase.order_ref}: {who}, sent {at:%Y-%m-%d %H:%M} UTC"
                               + (f"; segments {segments}" if segments else "")))
    return rows
