"""After login the owner returns to the page that asked for it, under the app's root (the stage behind API
Gateway), and never to another site."""
import pytest

from survey_app.services import create_owner
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token


def login_with_next(client, next_path, root=""):
    token = csrf_token(client, "/login")
    return client.post(f"/login?next={next_path}", data={"csrf_token": token, "email": OWNER_EMAIL,
                                                          "password": OWNER_PASSWORD},
                       base_url=f"http://localhost{root}")


def test_a_protected_page_under_a_stage_is_returned_to_under_that_stage(client, store):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    asked = client.get("/owner/api-keys", base_url="http://localhost/production").headers["Location"]
    assert asked.startswith("/production/login?next=")
    answer = login_with_next(client, "/owner/api-keys", root="/production")
    assert answer.headers["Location"] == "/production/owner/api-keys"


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"])
def test_a_next_pointing_off_site_lands_on_the_surveys(client, store, target):
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    assert login_with_next(client, target).headers["Location"] == "/owner/"
