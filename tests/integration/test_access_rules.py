"""The corners of the access rules the route walks do not reach: the login redirect keeps where a visitor was
going (for a page, not a post), assets need no login, a HEAD is a read, the role is the store's and not the
cookie's, and the CSV import page's own upload limit applies before anything reads the body."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from survey_app.services import create_owner
from survey_app.services.team import change_role
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token
from tests.factories import make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def login_target(response) -> dict:
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login", response.headers["Location"]
    return parse_qs(location.query)


@MOTO
def test_an_anonymous_page_visit_is_sent_to_login_with_the_page_to_come_back_to(client):
    assert login_target(client.get("/owner/surveys/abc/cases?status=open")) == {
        "next": ["/owner/surveys/abc/cases?status=open"]}


@MOTO
def test_an_anonymous_post_is_sent_to_login_without_a_page_to_come_back_to(client):
    assert login_target(client.post("/owner/surveys", data={"template": "post_purchase_nps"})) == {}


@MOTO
def test_assets_need_no_login(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and b"{" in response.data
    response.close()


@MOTO
def test_a_head_request_is_a_read_a_viewer_may_make(client, owner, store):
    survey = make_survey(store)
    owner.login(email="viewer@toko.test", password="viewer-pass", role="viewer")
    assert client.head("/owner/").status_code == 200
    assert client.head(f"/owner/surveys/{survey.id}").status_code == 200
    assert client.head(f"/owner/surveys/{survey.id}/edit").status_code == 403


@MOTO
def test_the_role_comes_from_the_store_never_from_the_cookie(client, owner, store):
    survey = make_survey(store)
    owner.login(email="viewer@toko.test", password="viewer-pass", role="viewer")
    with client.session_transaction() as session:
        session["role"] = "admin"  # what round 1 trusted
    assert client.get(f"/owner/surveys/{survey.id}/edit").status_code == 403
    assert client.post("/owner/surveys", data={"template": "post_purchase_nps"}).status_code == 403


@MOTO
def test_a_session_from_before_a_role_change_is_sent_to_login(client, owner, store):
    survey = make_survey(store)
    owner.login()
    assert client.get(f"/owner/surveys/{survey.id}/edit").status_code == 200
    create_owner(store, "second@toko.test", "second-pass", "admin")
    change_role(store, OWNER_EMAIL, "viewer", "second@toko.test")
    assert login_target(client.get(f"/owner/surveys/{survey.id}/edit"))  # that session has ended
    owner.attempt(OWNER_EMAIL, OWNER_PASSWORD)
    assert client.get(f"/owner/surveys/{survey.id}/edit").status_code == 403  # now a viewer


@MOTO
@pytest.mark.parametrize("size, status", [(100 * 1024, 400), (600 * 1024, 413)],
                         ids=["over-64-KB-under-the-page-limit", "over-the-page-limit"])
def test_the_import_page_takes_uploads_up_to_its_own_limit(app, client, owner, store, size, status):
    """No CSRF token here on purpose: a body within the page's 512 KB is read (and refused for the missing
    token, 400); one over it is refused unread (413), whatever the app-wide 64 KB limit says."""
    survey = make_survey(store)
    owner.login()
    # encoded in memory: the test client would spool a body over 500 KB to a temporary file it never closes
    boundary, body = encode_multipart(MultiDict({"csv_file": FileStorage(io.BytesIO(b"n,e\n" + b"x" * size), "p.csv")}))
    response = client.post(f"/owner/surveys/{survey.id}/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == status


@MOTO
@pytest.mark.parametrize("nameless", ["", "form-data", 'form-data; filename="b.csv"'],
                         ids=["every-part-named", "a-nameless-field", "a-nameless-file"])
def test_a_multipart_post_with_a_nameless_part_is_a_400_and_one_naming_every_part_is_read(client, owner, store,
                                                                                          nameless):
    """werkzeug files a part without a name under the key None, which WTForms' field lists cannot read (a 500):
    such a post is refused before any form reads it; the same upload with every part named goes on."""
    survey = make_survey(store)
    owner.login()
    url = f"/owner/surveys/{survey.id}/import"
    parts = [f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token(client, url)}',
             'Content-Disposition: form-data; name="csv_file"; filename="p.csv"\r\n\r\nname,email\r\nAni,a@toko.test']
    if nameless:
        parts.append(f"Content-Disposition: {nameless}\r\n\r\nx")
    body = "".join(f"--zz\r\n{part}\r\n" for part in parts) + "--zz--\r\n"
    response = client.post(url, data=body.encode(), content_type="multipart/form-data; boundary=zz")
    assert response.status_code == (400 if nameless else 303)


@MOTO
def test_a_viewer_may_log_out(client, owner):
    owner.login(email="viewer@toko.test", password="viewer-pass", role="viewer")
    assert owner.logout().status_code == 302
    assert client.get("/owner/").status_code == 302
