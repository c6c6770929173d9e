"""XLSX exports: the CSV's columns and neutralised text cells in one sheet, written by openpyxl's write-only
(streaming) workbook to a temporary file, so memory holds a row at a time however large the export; imported only
when an XLSX is asked for, never on a customer's page."""
from __future__ import annotations

import tempfile
from typing import IO, Iterable

from .exports import neutralise

SPOOL_BYTES = 4 * 1024 * 1024  # a small export stays in memory; a larger one goes to Lambda's /tmp


def write_xlsx(columns: list[str], rows: Iterable[dict], target: IO[bytes]) -> int:
    """Header, then one row per dict; numbers stay numbers, text is neutralised as in the CSV (openpyxl would
    otherwise store a text starting with '=' as a formula). Returns the rows written."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append([neutralise(c) for c in columns])
    count = 0
    for row in rows:
        sheet.append([_cell(row.get(column)) for column in columns])
        count += 1
    book.save(target)
    return count


def xlsx_file(columns: list[str], rows: Iterable[dict]) -> tuple[IO[bytes], int]:
    """The workbook in a spooled temporary file, rewound, and its row count."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    count = write_xlsx(columns, rows, spool)
    spool.seek(0)
    return spool, count


def _cell(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralise(value)
