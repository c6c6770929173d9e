"""Why reading an XLSX export grows with its rows although rows are streamed: the Python heap's peak (tracemalloc,
openpyxl imported before it starts) while every row is read through imports/table.open_table, for files written two
ways (openpyxl's write-only mode: inline strings and no <dimension> element; its normal mode, as Excel writes:
a shared-strings table and <dimension>) whose text cells are all different (names, phones, order numbers: a real
export) or repeat four values, at two sizes.

    .venv/bin/python bench/xlsx_strings.py [rows ...]     (default 1000 10000)
"""
from __future__ import annotations

import io
import sys
import tracemalloc
import zipfile

import openpyxl

from survey_app.imports.table import open_table

COLUMNS = 12  # text columns per row, about half a marketplace export's


def workbook(rows: int, unique: bool, excel_like: bool) -> bytes:
    book = openpyxl.Workbook(write_only=not excel_like)
    sheet = book.active if excel_like else book.create_sheet()
    sheet.append([f"Kolom {c}" for c in range(COLUMNS)])
    for i in range(rows):
        sheet.append([f"Pelanggan {i} kolom {c}" if unique else f"Nilai {c % 4}" for c in range(COLUMNS)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shape(data: bytes) -> tuple[int, bool]:
    """(entries of the shared-strings table, whether the sheet names its <dimension>)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    strings = archive.read("xl/sharedStrings.xml").count(b"<si>") if "xl/sharedStrings.xml" in archive.namelist() \
        else 0
    return strings, b"<dimension" in archive.read("xl/worksheets/sheet1.xml")[:2000]


def reading_peak(data: bytes) -> tuple[int, int]:
    """(rows read, heap peak bytes) of reading every row, as an import does."""
    tracemalloc.start()
    table = open_table(io.BytesIO(data))
    count = sum(1 for _ in table.rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, peak


def main(sizes: list[int]) -> None:
    print("| written by | text cells | rows | file | shared strings | <dimension> | heap peak | per row |")
    print("|---|---|---|---|---|---|---|---|")
    for excel_like in (False, True):
        for unique in (True, False):
            for rows in sizes:
                data = workbook(rows, unique, excel_like)
                count, peak = reading_peak(data)
                assert count == rows
                strings, dimension = shape(data)
                print(f"| {'normal mode' if excel_like else 'write-only'} | {'all different' if unique else '4 values'} "
                      f"| {rows:,} | {len(data) // 1024:,} KB | {strings:,} | {'yes' if dimension else 'no'} "
                      f"| {peak // 1024:,} KB | {peak / rows:,.0f} B |")


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [1000, 10000])
