"""A shop's file as a header and a stream of rows, whatever wrote it: CSV in any of the delimiters and encodings
spreadsheets and marketplaces use, or XLSX. Rows are read one at a time, so a file of any size stays flat in
memory; each keeps the line (or sheet row) number the owner sees in their spreadsheet."""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Iterable, Iterator

SAMPLE_BYTES = 64 * 1024  # what encoding and delimiter detection read before the stream starts again
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
LINE_COLUMN = "__line__"  # first column of a normalised copy: the row's line in the owner's own file


class TableError(ValueError):
    """The file as a whole cannot be read (no header, an old binary Excel file...)."""


class Unreadable(str):
    """A row the CSV reader could not read (a cell over its size limit): the reason, and the end of the file."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str] | Unreadable]]
    kind: str  # csv or xlsx
    encoding: str = ""
    delimiter: str = ""


def open_table(source: IO[bytes]) -> Table:
    """:raises TableError: an empty file, one with no header row, or an .xls from before 2007."""
    head = source.read(SAMPLE_BYTES)
    source.seek(0)
    if head.startswith(XLSX_MAGIC):
        return _xlsx_table(source)
    if head.startswith(OLE_MAGIC):
        raise TableError("this is an old Excel .xls file: save it as .xlsx or CSV and upload that")
    encoding = detect_encoding(head)
    text = codecs.iterdecode(source, encoding, errors="replace")  # line by line; its owner closes `source`
    first_line = next(iter(head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()), "")
    return csv_table(text, detect_delimiter(first_line), encoding)


def detect_encoding(sample: bytes) -> str:
    """UTF-8 with or without its BOM; otherwise Windows-1252, what Excel on Windows writes for 'CSV'."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a sample may end mid-character
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most outside quotes (Excel set to Indonesian writes ';')."""
    counts, quoted = dict.fromkeys(DELIMITERS, 0), False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_table(lines: Iterable[str], delimiter: str = ",", encoding: str = "utf-8") -> Table:
    reader = csv.reader(lines, delimiter=delimiter)
    headers = _headers(_first_row(reader))
    return Table(headers, _csv_rows(reader), "csv", encoding, delimiter)


def _first_row(reader) -> list[str]:
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                return row
    except csv.Error as error:  # e.g. a lone carriage return inside the header line (found by the fuzzer)
        raise TableError(f"the first line cannot be read as CSV ({error})") from None
    raise TableError("the file is empty: the first line must name the columns")


def _csv_rows(reader) -> Iterator[tuple[int, list[str] | Unreadable]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, Unreadable(f"unreadable CSV here ({error}); the rest of the file was not read")
            return
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _headers(row: list) -> list[str]:
    """Trimmed names, the BOM gone, trailing blank columns dropped, repeated names numbered."""
    names = [str(cell or "").strip().lstrip("\ufeff").strip() for cell in row]
    while names and not names[-1]:
        names.pop()
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _xlsx_table(source: IO[bytes]) -> Table:
    import openpyxl  # imported here: only file imports read spreadsheets

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file; each means the same here
        raise TableError(f"this Excel file cannot be read ({type(error).__name__})") from None
    rows = enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)
    for _, first in rows:
        if any(cell not in (None, "") for cell in first):
            return Table(_headers(list(first)), _xlsx_rows(rows, book), "xlsx")
    book.close()
    raise TableError("the sheet is empty: its first row must name the columns")


def _xlsx_rows(rows, book) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in rows:
            cells = [cell_text(value) for value in values]
            if any(cells):
                yield number, cells
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV of it would hold: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalised_lines(table: Table) -> Iterator[str]:
    """The table as UTF-8 comma CSV text, each row led by its original line (an unreadable row by '<line>!<why>'),
    so a copy waiting in the store or a bucket reads back with the owner's own line numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([LINE_COLUMN] + table.headers)
    for line, cells in table.rows:
        writer.writerow([f"{line}!{cells}"] if isinstance(cells, Unreadable) else [line] + cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def read_normalised(lines: Iterable[str]) -> Table:
    """:raises TableError: text that `normalised_lines` did not write."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or header[0] != LINE_COLUMN:
        raise TableError("not a normalised import file")

    def rows() -> Iterator[tuple[int, list[str] | Unreadable]]:
        for row in reader:
            line, _, why = row[0].partition("!")
            yield int(line), Unreadable(why) if why else row[1:]

    return Table(header[1:], rows(), "csv", "utf-8", ",")
