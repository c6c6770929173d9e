"""A marketplace export through the front as deployed: an XLSX's bytes cross API Gateway (binary media type
`*/*`, base64 to the function) into the mapping step, and the import runs in the zip with its own openpyxl and
phonenumbers."""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from urllib.parse import urljoin

import pytest

from survey_app.services import save_survey
from tests.deployed.test_production_shape import logged_in
from tests.factories import make_survey
from tests.unit.test_imports import tokopedia_xlsx

pytestmark = pytest.mark.deployed
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def multipart(fields: dict[str, str], name: str, filename: str, content: bytes, content_type: str):
    """A browser's multipart/form-data body (RFC 7578): each field, then the file's raw bytes."""
    boundary = f"----form{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_an_xlsx_export_is_mapped_and_imported_through_the_front(deployed):
    store = deployed.store()
    survey = make_survey(store)
    save_survey(store, replace(survey, delivery=replace(survey.delivery, purchase_max_age_days=3650)))
    visitor, _ = logged_in(deployed)
    url = f"/owner/surveys/{survey.id}/import"
    body, content_type = multipart({"csrf_token": visitor.get(url).csrf_token()}, "csv_file",
                                   "laporan-penjualan.xlsx", tokopedia_xlsx(), XLSX)
    sent = visitor.request("POST", url, body, {"Content-Type": content_type, "Referer": deployed.url + url})
    assert sent.status == 303, sent.text[:500]
    mapping_url = urljoin(deployed.url, sent.header("Location"))  # a path under the stage, as API Gateway answers
    step = visitor.get(mapping_url)
    assert step.status == 200 and "Nomor Invoice" in step.text and 'class="outcome-skip"' in step.text
    roles = dict(re.findall(r'name="(roles-\d+)"[^>]*>(?:<option value="[^"]*">[^<]*</option>)*'
                            r'<option value="([^"]+)" selected>', step.text))
    done = visitor.post(mapping_url, roles | {"csrf_token": step.csrf_token(), "action": "import"},
                        headers={"Referer": mapping_url})
    assert done.status == 200 and "1 invitations scheduled" in done.text, done.text[:500]
    (invitation,) = store.invitations_of(survey.id)
    assert invitation.phone == "+6281234567890" and invitation.segment_values["nama_produk"] == "Kopi Gayo 250g"
