"""Reading shops' files: encodings, delimiters, dates, numbers, phones, header roles and mappings (no AWS)."""
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from survey_app.imports.headers import platform_of, suggest_roles
from survey_app.imports.mapping import SEGMENTS, canonical, fingerprint, suggest
from survey_app.imports.table import TableError, normalised_lines, open_table, read_normalised
from survey_app.imports.values import CellError, not_kept, parse_number, parse_phone, parse_time

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "marketplace"
JAKARTA = ZoneInfo("Asia/Jakarta")


def table_of(name):
    return open_table(io.BytesIO((FIXTURES / name).read_bytes()))


def tokopedia_xlsx() -> bytes:
    """Tokopedia's 'Laporan Penjualan' sheet (columns: tests/data/marketplace/README.md): typed cells, as Excel
    holds them, an empty line between orders as the report leaves them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nomor Invoice", "Tanggal Pembayaran", "Status Terakhir", "Nama Produk", "Nomor SKU",
                  "Harga Awal (IDR)", "Jumlah Produk Dibeli", "Nama Pembeli", "No Telp Pembeli", "Kota", "Provinsi"])
    sheet.append(["INV/20261128/MPL/3712345678", datetime(2026, 11, 28, 9, 15, 17), "Pesanan Selesai",
                  "Kopi Gayo 250g", "KG-250", 85000, 1, "Budi Santoso", "081234567890", "Kota Bandung", "Jawa Barat"])
    sheet.append([None] * 11)
    sheet.append(["INV/20261128/MPL/3712345679", datetime(2026, 11, 28, 10, 2), "Dibatalkan Pembeli",
                  "Sambal Bawang 200ml", "SB-200", 35000.0, 2, "Agus Salim", 81398765432, "Kota Surabaya", "Jawa Timur"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name,encoding,delimiter,columns", [
    ("shopee_orders.csv", "utf-8-sig", ";", 25),
    ("tiktok_shop_orders.csv", "utf-8-sig", ",", 28),
    ("woocommerce_orders.csv", "utf-8", ",", 21),
    ("shopify_orders.csv", "utf-8", ",", 79),
    ("excel_indonesia_windows1252.csv", "cp1252", ";", 9),
])
def test_each_export_is_read_with_its_own_encoding_delimiter_and_columns(name, encoding, delimiter, columns):
    table = table_of(name)
    assert (table.encoding, table.delimiter, len(table.headers)) == (encoding, delimiter, columns)
    assert not table.headers[0].startswith("\ufeff")
    assert all(len(cells) <= columns for _, cells in table.rows)


def test_windows_1252_text_keeps_its_accents_and_lines_keep_the_owners_numbers():
    table = table_of("excel_indonesia_windows1252.csv")
    (line, first), *_ = list(table.rows)
    assert line == 2 and first[2] == "José Café" and first[8].endswith("– minta struk")


def test_tab_separated_text_is_detected():
    table = open_table(io.BytesIO(b"order_ref\tphone\nA-1\t0812 3456 7890\n"))
    assert table.delimiter == "\t" and list(table.rows) == [(2, ["A-1", "0812 3456 7890"])]


def test_xlsx_rows_stream_with_dates_numbers_and_phones_as_a_csv_would_hold_them():
    table = open_table(io.BytesIO(tokopedia_xlsx()))
    rows = list(table.rows)
    assert table.kind == "xlsx" and [line for line, _ in rows] == [2, 4]  # the empty row 3 is not a purchase
    assert rows[0][1][1] == "2026-11-28 09:15:17" and rows[0][1][5] == "85000" and rows[0][1][8] == "081234567890"
    assert rows[1][1][5] == "35000" and rows[1][1][8] == "81398765432"


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"\xd0\xcf\x11\xe0rest", ".xls"),
                                             (b"PK\x03\x04broken", "cannot be read")])
def test_files_that_are_not_tables_are_refused_with_the_reason(content, message):
    with pytest.raises(TableError, match=message):
        open_table(io.BytesIO(content))


@pytest.mark.parametrize("name,platform,expected", [
    ("shopee_orders.csv", "shopee", {"No. Pesanan": "order_ref", "Nama Penerima": "name", "No. Telepon": "phone",
                                     "Waktu Pesanan Dibuat": "purchased_at", "Status Pesanan": "status",
                                     "Nama Produk": "segment", "Alamat Pengiriman": "drop",
                                     "Username (Pembeli)": "drop", "Harga Awal": "keep"}),
    ("tiktok_shop_orders.csv", "tiktok_shop", {"Order ID": "order_ref", "Recipient": "name", "Phone #": "phone",
                                               "Created Time": "purchased_at", "Order Status": "status",
                                               "Product Name": "segment", "Detail Address": "drop"}),
    ("woocommerce_orders.csv", "woocommerce", {"order_id": "order_ref", "billing_first_name": "name",
                                               "billing_last_name": "name", "billing_email": "email",
                                               "billing_phone": "phone", "order_date": "purchased_at",
                                               "status": "status", "order_number": "keep"}),
    ("shopify_orders.csv", "shopify", {"Name": "order_ref", "Billing Name": "name", "Email": "email",
                                       "Billing Phone": "phone", "Created at": "purchased_at",
                                       "Financial Status": "status", "Lineitem name": "segment"}),
    ("excel_indonesia_windows1252.csv", "", {"Nomor Pesanan": "order_ref", "Nama Pelanggan": "name",
                                             "No HP": "phone", "Tanggal": "purchased_at", "Toko": "segment",
                                             "Catatan": "drop", "Total (Rp)": "keep"}),
])
def test_headers_in_indonesian_or_english_suggest_their_roles(name, platform, expected):
    headers = table_of(name).headers
    roles = dict(zip(headers, suggest_roles(headers)))
    assert platform_of(headers) == platform
    assert {h: roles[h] for h in expected} == expected
    assert not suggest(headers).problems()


def test_a_shopee_row_becomes_the_fields_of_a_purchase_with_plain_numbers_and_its_segments():
    table = table_of("shopee_orders.csv")
    mapping = suggest(table.headers)
    _, cells = next(table.rows)
    row = mapping.apply(cells)
    assert (row["order_ref"], row["name"], row["phone"], row["purchased_at"], row["status"]) == (
        "2611287ABCD01", "Budi Santoso", "6281234567890", "28/11/2026 09:15", "Selesai")
    assert row["harga_awal"] == "85000" and row["total_pembayaran"] == "95000"
    assert row[SEGMENTS] == ("opsi_pengiriman", "nama_produk", "kota_kabupaten", "provinsi")
    assert "alamat_pengiriman" not in row and "username_pembeli" not in row


def test_woocommerce_first_and_last_names_join():
    table = table_of("woocommerce_orders.csv")
    assert suggest(table.headers).apply(next(table.rows)[1])["name"] == "Budi Santoso"


def test_fingerprint_ignores_case_and_punctuation_but_not_column_order():
    assert fingerprint(["No. Pesanan", "Status Pesanan"]) == fingerprint(["no pesanan", "STATUS_PESANAN"])
    assert fingerprint(["No. Pesanan", "Status Pesanan"]) != fingerprint(["Status Pesanan", "No. Pesanan"])


def test_the_apps_own_format_needs_no_mapping_and_its_extra_columns_are_segments():
    mapping = canonical(["name", "phone", "order_ref", "store", "language"])
    assert mapping.roles == ("name", "phone", "order_ref", "segment", "language")
    assert canonical(["No. Pesanan", "No. Telepon"]) is None


@pytest.mark.parametrize("roles,problem", [
    (("drop", "phone"), "order reference"),
    (("order_ref", "drop"), "phone or an e-mail"),
    (("order_ref", "phone", "phone"), "only one column can be the phone"),
])
def test_a_mapping_that_cannot_import_says_why(roles, problem):
    mapping = suggest(["a", "b", "c"][:len(roles)]).with_roles(list(roles))
    assert any(problem in p for p in mapping.problems())


def test_a_mapping_with_too_many_segments_is_refused():
    mapping = suggest([f"c{i}" for i in range(8)]).with_roles(["order_ref", "phone"] + ["segment"] * 6)
    assert any("at most 5 segment" in p for p in mapping.problems())


def test_normalised_copy_reads_back_with_the_original_line_numbers():
    table = table_of("shopify_orders.csv")
    copy = read_normalised(io.StringIO("".join(normalised_lines(table)), newline=""))
    assert copy.headers == table_of("shopify_orders.csv").headers
    assert [line for line, _ in copy.rows] == [2, 3, 4, 5]


@pytest.mark.parametrize("text,expected", [
    ("28/11/2026 09:15", datetime(2026, 11, 28, 9, 15, tzinfo=JAKARTA)),
    ("28/11/2026", datetime(2026, 11, 28, tzinfo=JAKARTA)),
    ("28-11-2026 09:15:17", datetime(2026, 11, 28, 9, 15, 17, tzinfo=JAKARTA)),
    ("03/12/2026 02:42:00 PM", datetime(2026, 12, 3, 14, 42, tzinfo=JAKARTA)),
    ("2026-11-28", datetime(2026, 11, 28, tzinfo=JAKARTA)),
    ("2026-11-28 09:15:00", datetime(2026, 11, 28, 9, 15, tzinfo=JAKARTA)),
    ("2026-11-28T02:15:00Z", datetime(2026, 11, 28, 9, 15, tzinfo=JAKARTA)),
    ("2026-11-28 09:15:00 +0700", datetime(2026, 11, 28, 9, 15, tzinfo=JAKARTA)),
    ("2026-11-28T14:30:00+08:00", datetime(2026, 11, 28, 13, 30, tzinfo=JAKARTA)),
    ("28 Nov 2026 09:15", datetime(2026, 11, 28, 9, 15, tzinfo=JAKARTA)),
    ("28 Agustus 2026", datetime(2026, 8, 28, tzinfo=JAKARTA)),
])
def test_dates_are_read_day_first_or_iso_in_the_owners_zone_unless_an_offset_is_given(text, expected):
    assert parse_time(text, "Asia/Jakarta") == expected


@pytest.mark.parametrize("text", ["yesterday", "31/02/2026", "2026-13-01", "9999-12-31", "28/11/26"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(CellError):
        parse_time(text, "Asia/Jakarta")


@pytest.mark.parametrize("text,expected", [
    ("85.000", "85000"), ("1.234,50", "1234.50"), ("1.250.000", "1250000"), ("Rp 85.000", "85000"),
    ("85000.00", "85000.00"), ("1,5", "1.5"), ("-10.000", "-10000"), ("85000", "85000"),
    ("Kopi 250g", None), ("12.5kg", None), ("", None),
])
def test_indonesian_numbers_become_plain(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["0812-3456-7890", "+62 812 3456 7890", "62 812 3456 7890", "6281234567890",
                                  "81234567890", "(+62)81234567890", "0812 3456 7890"])
def test_indonesian_phones_in_any_form_become_e164(text):
    assert parse_phone(text) == "+6281234567890"


@pytest.mark.parametrize("text,message", [("call me", "not a phone number"), ("0812", "not a possible number"),
                                          ("6.28123E+12", "rounded by a spreadsheet")])
def test_unusable_phones_say_why(text, message):
    with pytest.raises(CellError, match=message):
        parse_phone(text)


@pytest.mark.parametrize("status,skipped", [
    ("Batal", True), ("Dibatalkan", True), ("Dibatalkan Pembeli", True), ("Pengembalian Dana/Barang", True),
    ("Cancelled", True), ("refunded", True), ("voided", True), ("Belum Bayar", True),
    ("Selesai", False), ("Sedang Dikirim", False), ("Pesanan Selesai", False), ("completed", False), ("paid", False),
])
def test_cancelled_and_returned_statuses_are_recognised(status, skipped):
    assert not_kept(status) is skipped


def test_a_header_line_with_a_lone_carriage_return_is_refused_in_words_not_a_server_error():
    """Found by tests/fuzz/test_public_routes.py::test_csv_uploads once its isolated table held the owner."""
    import io

    from survey_app.imports.table import TableError, open_table

    with pytest.raises(TableError, match="first line cannot be read as CSV"):
        open_table(io.BytesIO(b"name,ph\rone\nAni,081234\n"))


def test_a_file_holding_only_a_byte_order_mark_is_refused_as_empty_not_a_server_error():
    """Found by tests/fuzz/test_public_routes.py::test_csv_uploads in CI (an IndexError before)."""
    import io

    from survey_app.imports.table import TableError, open_table

    with pytest.raises(TableError, match="empty"):
        open_table(io.BytesIO(b"\xef\xbb\xbf"))


def test_import_batches_are_lengthened_to_end_between_orders_and_rows_without_a_reference_may_end_one():
    from survey_app.services.imports import order_batches

    rows = [(n, {"order_ref": ref}) for n, ref in enumerate(["A", "B", "B", "B", "C", "", "", "D"], start=2)]
    sizes = [[row[1]["order_ref"] for row in batch] for batch in order_batches(rows, 2)]
    assert sizes == [["A", "B", "B", "B"], ["C", ""], ["", "D"]]
