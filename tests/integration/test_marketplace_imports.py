"""Marketplace exports in through one mapping step; chosen segments, capped, counted the one way everywhere."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from survey_app.imports.mapping import Mapping, suggest
from survey_app.imports.table import open_table
from survey_app.services import import_purchases, save_survey, submit_response, survey_summary
from survey_app.services import invitations as invitation_service
from survey_app.services.dashboard import Filters
from survey_app.services.exports import matching_responses
from survey_app.services.imports import mapped_rows, save_mapping
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import csrf_token
from tests.factories import make_survey
from tests.unit.test_imports import tokopedia_xlsx

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "marketplace"
FILE_DAY = datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc)  # the day after the fixtures' orders, in Jakarta
MOTO_ONLY = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def file_survey(store):
    """The fixtures' orders are from November 2026: this survey's links live until a month past the real today, as
    their expiry is their TTL and DynamoDB Local deletes items whose TTL has passed (AWS too), so invitations for
    November orders would vanish mid-test."""
    survey = make_survey(store)
    lasting = (datetime.now(timezone.utc) - FILE_DAY).days + 30
    return save_survey(store, replace(survey, delivery=replace(survey.delivery, link_days=lasting)))


def lenient_survey(store):
    """The fixtures' orders are from November 2026: this survey invites purchases up to ten years old."""
    survey = file_survey(store)
    return save_survey(store, replace(survey, delivery=replace(survey.delivery, purchase_max_age_days=3650)))


def upload(client, survey, name, content=None):
    url = f"/owner/surveys/{survey.id}/import"
    body = content if content is not None else (FIXTURES / name).read_bytes()
    return client.post(url, content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, url), "csv_file": (io.BytesIO(body), name)})


def import_file(store, survey, name, mapping=None, now=FILE_DAY):
    with (FIXTURES / name).open("rb") as source:
        table = open_table(source)
        return import_purchases(store, survey, mapped_rows(table, mapping or suggest(table.headers)), now=now)


def chosen_roles(page: str) -> dict[str, str]:
    """The roles the mapping page has selected, by form field name, as a browser would post them back."""
    return dict(re.findall(r'<select id="[^"]+" name="(roles-\d+)"[^>]*>(?:<option value="[^"]*">[^<]*</option>)*'
                           r'<option value="([^"]+)" selected>', page))


@MOTO_ONLY
def test_shopee_export_imports_after_one_mapping_step_and_the_next_file_with_no_questions(client, owner, store):
    survey = lenient_survey(store)
    owner.login()
    first = upload(client, survey, "shopee_orders.csv")
    assert first.status_code == 303 and "/import/" in first.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "This looks like a shopee export." in page
    assert 'id="mapping-preview"' in page and page.count('class="outcome-invite"') == 4
    assert "Batal" in page and page.count('class="outcome-skip"') == 1  # the cancelled order, before importing
    roles = chosen_roles(page)
    assert len(roles) == 25 and roles["roles-0"] == "order_ref" and roles["roles-22"] == "drop"
    done = client.post(first.headers["Location"], data=roles | {
        "csrf_token": csrf_token(client, first.headers["Location"]), "name": "shopee", "action": "import"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200, text
    assert "4 invitations scheduled, 0 already imported, 0 rows refused." in text
    assert "Line 4: order status &#39;Batal&#39;: cancelled or returned" in text
    assert sorted(i.order_ref for i in store.invitations_of(survey.id)) == [
        "2611287ABCD01", "2611287ABCD02", "2611287ABCD04", "2611287ABCD05"]
    assert client.get(first.headers["Location"]).status_code == 404  # the waiting copy is gone once imported

    second = upload(client, survey, "shopee_orders_next.csv")
    assert second.status_code == 200
    assert "2 invitations scheduled, 0 already imported, 0 rows refused." in second.get_data(as_text=True)
    assert len(store.invitations_of(survey.id)) == 6


@MOTO_ONLY
def test_mapping_step_shows_problems_and_changes_nothing_until_it_can_import(client, owner, store):
    survey = lenient_survey(store)
    owner.login()
    location = upload(client, survey, "shopee_orders.csv").headers["Location"]
    roles = chosen_roles(client.get(location).get_data(as_text=True)) | {"roles-0": "drop"}
    refused = client.post(location, data=roles | {"csrf_token": csrf_token(client, location), "action": "import"})
    assert refused.status_code == 400 and "exactly one column as the order reference" in refused.get_data(as_text=True)
    assert store.invitations_of(survey.id) == [] and list(store.mappings_of(survey.id)) == []
    assert client.post(location, data=roles | {"action": "import"}).status_code == 400  # no CSRF token


@MOTO_ONLY
def test_an_xlsx_export_goes_through_the_same_mapping_step(client, owner, store):
    survey = lenient_survey(store)
    owner.login()
    location = upload(client, survey, "laporan-penjualan.xlsx", tokopedia_xlsx()).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    roles = chosen_roles(page)
    done = client.post(location, data=roles | {"csrf_token": csrf_token(client, location), "action": "import"})
    text = done.get_data(as_text=True)
    assert "1 invitations scheduled" in text and "Line 4: order status &#39;Dibatalkan Pembeli&#39;" in text
    (invitation,) = store.invitations_of(survey.id)
    assert invitation.phone == "+6281234567890" and invitation.properties["harga_awal_idr"] == "85000"


@MOTO_ONLY
def test_customer_text_in_headers_and_cells_is_escaped_on_the_mapping_page(client, owner, store):
    survey = lenient_survey(store)
    owner.login()
    content = b'No. Pesanan,No. Telepon,<script>alert(1)</script>\nA-1,0812 3456 7890,"<img src=x onerror=alert(2)>"\n'
    page = client.get(upload(client, survey, "x.csv", content).headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


@MOTO_ONLY
def test_viewers_cannot_upload_or_map(client, owner, store):
    survey = lenient_survey(store)
    owner.login()
    location = upload(client, survey, "shopee_orders.csv").headers["Location"]
    owner.logout()
    owner.login(email="viewer@toko.test", password="viewer-pass", role="viewer")
    assert client.get(location).status_code == 403
    assert client.get(f"/owner/surveys/{survey.id}/import").status_code == 403


def test_only_chosen_columns_become_segments_and_kept_ones_stay_on_the_invitation(store):
    survey = file_survey(store)
    report = import_file(store, survey, "shopee_orders.csv")
    assert (report.created, [line for line, _ in report.skipped]) == (4, [4])
    invitation = next(i for i in store.invitations_of(survey.id) if i.order_ref == "2611287ABCD01")
    assert invitation.segment_values == {"opsi_pengiriman": "J&T Express", "nama_produk": "Kopi Gayo 250g",
                                         "kota_kabupaten": "KOTA BANDUNG", "provinsi": "JAWA BARAT"}
    assert invitation.properties["total_pembayaran"] == "95000" and "alamat_pengiriman" not in invitation.properties
    submit_response(store, survey, {"nps": 9}, language="id", submission_id=new_submission_id(), invitation=invitation)
    names = set(store.segment_properties(survey.id))
    assert {"nama_produk", "kota_kabupaten", "language", "channel"} <= names and "total_pembayaran" not in names


def test_purchases_older_than_the_surveys_limit_are_skipped_with_their_line(store):
    survey = make_survey(store)
    report = import_file(store, survey, "shopee_orders.csv", now=FILE_DAY + timedelta(days=15))
    assert report.created == 0 and [line for line, _ in report.skipped] == [2, 3, 4, 5, 6]
    assert "more than 14 days ago: not invited" in report.skipped[0][1]


def test_shopify_item_lines_of_one_order_make_one_invitation_and_refunds_are_skipped(store):
    survey = file_survey(store)
    report = import_file(store, survey, "shopify_orders.csv")
    assert (report.created, report.duplicates, report.errors) == (2, 1, [])
    assert [line for line, _ in report.skipped] == [4]
    by_order = {i.order_ref: i for i in store.invitations_of(survey.id)}
    assert by_order["#1001"].phone == "+6281234567890" and by_order["#1003"].email == "rina@example.com"


@pytest.mark.parametrize("name,created,skipped", [
    ("tiktok_shop_orders.csv", 2, 1), ("woocommerce_orders.csv", 2, 1), ("excel_indonesia_windows1252.csv", 3, 0)])
def test_every_platforms_export_imports_with_its_suggested_mapping(store, name, created, skipped):
    survey = file_survey(store)
    report = import_file(store, survey, name)
    assert (report.created, len(report.skipped), report.errors) == (created, skipped, [])


def test_a_row_with_a_bad_value_is_refused_whole_with_its_line_and_the_rest_imported(store):
    survey = file_survey(store)
    content = (FIXTURES / "shopee_orders.csv").read_text(encoding="utf-8-sig").replace("6285712345678", "call me")
    table = open_table(io.BytesIO(content.encode()))
    report = import_purchases(store, survey, mapped_rows(table, suggest(table.headers)), now=FILE_DAY)
    assert report.created == 3 and report.errors == [(3, "phone 'call me' is not a phone number")]
    assert "2611287ABCD02" not in {i.order_ref for i in store.invitations_of(survey.id)}


def test_a_segment_counts_its_first_values_and_the_rest_as_other(store, monkeypatch):
    monkeypatch.setattr(invitation_service, "MAX_SEGMENT_VALUES", 2)
    survey = make_survey(store)
    rows = [(i + 2, {"order_ref": f"O-{i}", "phone": f"0812345678{i:02d}", "store": f"Toko {i}"}) for i in range(4)]
    report = import_purchases(store, survey, rows)
    assert report.created == 4
    values = sorted(i.segment_values["store"] for i in store.invitations_of(survey.id))
    assert values == ["Toko 0", "Toko 1", "other", "other"]
    store.__dict__.pop("_segment_values")  # another Lambda: it asks the table, which still holds two
    assert not store.claim_segment_value(survey.id, "store", "Toko 9", 2)
    assert store.claim_segment_value(survey.id, "store", "Toko 1", 2)


def test_no_column_can_take_the_channel_or_language_segment(store):
    survey = make_survey(store)
    table = open_table(io.BytesIO(b"order_ref,phone,channel,language\nO-1,0812 3456 7890,Tokopedia,en\n"))
    import_purchases(store, survey, mapped_rows(table, suggest(table.headers).with_roles(
        ["order_ref", "phone", "segment", "language"])))
    (invitation,) = store.invitations_of(survey.id)
    response = submit_response(store, survey, {"nps": 10}, language="en", submission_id=new_submission_id(),
                               invitation=invitation)
    assert response.segments == {"channel_col": "Tokopedia", "language": "en", "channel": "manual"}


def test_a_channel_segment_shows_its_comments_in_the_dashboard_and_its_exports(store):
    survey = make_survey(store)
    invitation = invitation_service.create_invitation(store, survey, phone="+6281234567890")
    submit_response(store, survey, {"nps": 3, "reason": "Kopinya basi"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    filters = Filters.last_days(7, "Asia/Jakarta", segment=("channel", "manual"))
    summary = survey_summary(store, survey, filters)
    assert summary.nps.n == 1
    assert [c.text for c in summary.comments] == ["Kopinya basi"]
    assert [r.response_id for r in matching_responses(store, survey, filters)] == [invitation.token]
    other = Filters.last_days(7, "Asia/Jakarta", segment=("channel", "whatsapp"))
    assert survey_summary(store, survey, other).comments == [] and list(matching_responses(store, survey, other)) == []


def test_mappings_and_waiting_uploads_are_kept_per_survey(store):
    mapping = Mapping(("No. Pesanan", "No. Telepon"), ("order_ref", "phone"), "shopee", "shopee")
    save_mapping(store, "s1", mapping)
    assert store.mapping_for("s1", mapping.fingerprint) == mapping.to_dict()
    assert store.mapping_for("s2", mapping.fingerprint) is None and list(store.mappings_of("s2")) == []
    assert [Mapping.from_dict(m) for m in store.mappings_of("s1")] == [mapping]
    assert store.put_upload("s1", "u1", "__line__,a\n2,é\n", 2_000_000_000)
    assert store.upload_text("s1", "u1") == "__line__,a\n2,é\n"
    store.delete_upload("s1", "u1")
    with pytest.raises(Exception, match="not found|NotFound|UPLOAD"):
        store.upload_text("s1", "u1")


@MOTO_ONLY
def test_cli_asks_for_a_mapping_once_then_imports_by_its_name(runner, store):
    survey = lenient_survey(store)
    path = str(FIXTURES / "tiktok_shop_orders.csv")
    one = ["--workers", "1"]  # moto copies the whole table inside each transaction: not safe across threads
    asked = runner.invoke(args=["import-purchases", path, "--survey", survey.id])
    assert asked.exit_code == 2 and "Order ID: order_ref" in asked.output and "--accept-suggested" in asked.output
    accepted = runner.invoke(args=["import-purchases", path, "--survey", survey.id, "--accept-suggested", *one])
    assert "2 invitations scheduled, 0 already imported, 0 rows refused, 1 skipped" in accepted.output
    again = runner.invoke(args=["import-purchases", path, "--survey", survey.id, "--mapping", "tiktok_shop", *one])
    assert again.exit_code == 0 and "0 invitations scheduled, 2 already imported" in again.output
    unknown = runner.invoke(args=["import-purchases", path, "--survey", survey.id, "--mapping", "nope"])
    assert unknown.exit_code == 1 and "no mapping named 'nope'" in unknown.output


@MOTO_ONLY
def test_owner_sets_how_old_an_imported_purchase_may_be_and_blank_keeps_the_default(client, owner, store):
    survey = make_survey(store)
    owner.login()
    url = f"/owner/surveys/{survey.id}/delivery"
    fields = {"delay_days": "2", "channels": "whatsapp,email", "link_days": "30", "reminder_after_days": "3",
              "fatigue_days": "30"}
    saved = client.post(url, data=fields | {"csrf_token": csrf_token(client, url), "purchase_max_age_days": "60"})
    assert saved.status_code == 302 and store.get_survey(survey.id).delivery.purchase_max_age_days == 60
    assert 'name="purchase_max_age_days" type="number" value="60"' in client.get(url).get_data(as_text=True)
    client.post(url, data=fields | {"csrf_token": csrf_token(client, url), "purchase_max_age_days": ""})
    assert store.get_survey(survey.id).delivery.purchase_max_age_days == 14
    refused = client.post(url, data=fields | {"csrf_token": csrf_token(client, url), "purchase_max_age_days": "0"})
    assert refused.status_code == 400


@MOTO_ONLY
def test_api_reads_an_exports_rows_with_a_mapping_saved_by_name(client, store):
    from survey_app.services import create_api_key
    from tests.integration.test_purchases import OPENAPI, schema_validator

    survey = lenient_survey(store)
    table = open_table(io.BytesIO((FIXTURES / "shopee_orders.csv").read_bytes()))
    save_mapping(store, survey.id, replace(suggest(table.headers), name="shopee"))
    rows = [dict(zip(table.headers, cells)) for _, cells in table.rows]
    key = create_api_key(store, "shop system", "owner@example.test")

    def post(body):
        answer = client.post("/api/v1/purchases", json=body, headers={"Authorization": f"Bearer {key}"})
        schema_validator("Error" if answer.status_code == 400 else "Result").validate(answer.get_json())
        return answer

    body = {"survey_id": survey.id, "mapping": "shopee", "rows": rows}
    schema_validator("Rows").validate(body)
    schema_validator("Rows").validate(OPENAPI["paths"]["/purchases"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]["rows"]["value"])
    done = post(body)
    result = done.get_json()
    assert done.status_code == 201 and len(result["created"]) == 4
    assert [s["index"] for s in result["skipped"]] == [2] and "Batal" in result["skipped"][0]["reason"]
    assert store.get_invitation(result["created"][0]["token"]).segment_values["nama_produk"] == "Kopi Gayo 250g"
    unknown = post(body | {"mapping": "tokopedia"})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["code"] == "invalid_mapping"
    missing = post(body | {"rows": [{k: v for k, v in rows[0].items() if k != "No. Telepon"}]})
    assert missing.status_code == 400 and "'No. Telepon'" in missing.get_json()["error"]["message"]


@MOTO_ONLY
def test_a_mapped_upload_above_the_inline_limit_imports_as_a_job_through_the_bucket(app, client, owner, store):
    import boto3

    boto3.client("s3", region_name=store.region).create_bucket(
        Bucket="imports-test", CreateBucketConfiguration={"LocationConstraint": store.region})
    app.config.update(EXPORTS_BUCKET="imports-test", WEB_IMPORT_INLINE_MAX_ROWS=2)
    survey = lenient_survey(store)
    owner.login()
    location = upload(client, survey, "shopee_orders.csv").headers["Location"]
    roles = chosen_roles(client.get(location).get_data(as_text=True))
    started = client.post(location, data=roles | {"csrf_token": csrf_token(client, location), "action": "import"})
    assert started.status_code == 302 and started.headers["Location"].startswith("/owner/jobs/")
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "4 invitations scheduled, 0 already imported, 0 rows refused." in page and 'id="import-skipped"' in page
    (job,) = store.recent_jobs(survey.id)
    assert job.params["mapping"]["roles"][0] == "order_ref" and job.result["skipped"] == 1
    assert boto3.client("s3", region_name=store.region).list_objects_v2(Bucket="imports-test").get("KeyCount") == 0


@MOTO_ONLY
def test_cli_stopped_by_the_database_says_to_run_it_again(runner, store, monkeypatch):
    from survey_app.errors import StoreUnavailable

    survey = lenient_survey(store)

    def down(*args, **kwargs):
        raise StoreUnavailable("transaction failed: read timeout")

    monkeypatch.setattr(store, "put_invitation", down)
    result = runner.invoke(args=["import-purchases", str(FIXTURES / "excel_indonesia_windows1252.csv"), "--survey",
                                 survey.id, "--accept-suggested", "--workers", "1"])
    assert result.exit_code == 1 and "run the same command again" in result.output


@MOTO_ONLY
def test_an_order_whose_item_lines_span_two_job_batches_is_one_invitation_and_one_duplicate(app, client, owner, store):
    import boto3

    boto3.client("s3", region_name=store.region).create_bucket(
        Bucket="imports-test", CreateBucketConfiguration={"LocationConstraint": store.region})
    app.config.update(EXPORTS_BUCKET="imports-test", WEB_IMPORT_INLINE_MAX_ROWS=2)
    header, order, its_item, _, single = (FIXTURES / "shopify_orders.csv").read_text().splitlines()[:5]
    singles = [single.replace("#1003", f"#2{n:03d}").replace("rina@", f"rina{n}@") for n in range(99)]
    body = "\n".join([header, *singles, order, its_item]) + "\n"  # #1001's two lines are rows 100 and 101
    survey = lenient_survey(store)
    owner.login()
    location = upload(client, survey, "orders_export.csv", body.encode()).headers["Location"]
    roles = chosen_roles(client.get(location).get_data(as_text=True))
    started = client.post(location, data=roles | {"csrf_token": csrf_token(client, location), "action": "import"})
    assert started.status_code == 302
    (job,) = store.recent_jobs(survey.id)
    assert (job.result["created"], job.result["duplicates"], job.result["refused"]) == (100, 1, 0), job.result
    assert store.invitation_or_none(next(i.token for i in store.invitations_of(survey.id, 200)
                                         if i.order_ref == "#1001")).phone == "+6281234567890"
