"""Owner pages: create from a template, edit with validation, preview, personal links with WhatsApp share."""
import re
import urllib.parse

from tests.conftest import csrf_token
from tests.factories import make_survey


def test_owner_creates_a_survey_from_a_template(client, owner, store):
    owner.login()
    token = csrf_token(client, "/owner/")
    response = client.post("/owner/surveys", data={"csrf_token": token, "template": "customer_effort",
                                                   "default_language": "en"})
    assert response.status_code == 302
    (survey,) = store.list_surveys()
    assert response.headers["Location"] == f"/owner/surveys/{survey.id}/edit"
    assert [q.type for q in survey.questions] == ["ces", "long_text"]
    assert survey.title.get("en") in client.get("/owner/").get_data(as_text=True)


def edit_form(client, survey_id):
    """The editor's current field values, as a browser would post them back."""
    text = client.get(f"/owner/surveys/{survey_id}/edit").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="(?:text|hidden)" value="([^"]*)"', text))
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?([^<]*)</textarea>', text):
        data[name] = value
    for name in re.findall(r'<select[^>]*name="([^"]+)"', text):
        block = text.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        selected = re.search(r'selected value="([^"]*)"|value="([^"]*)" selected', block)
        first = re.search(r'value="([^"]*)"', block)  # a browser posts the first option when none is selected
        data[name] = next(g for g in selected.groups() if g is not None) if selected else first.group(1)
    for name in re.findall(r'<input checked[^>]*name="([^"]+)"[^>]*type="checkbox"', text):
        data[name] = "y"
    return data


def test_owner_edits_title_and_adds_a_question(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id)
    blank = len(survey.questions)
    data |= {"title_en": "After your visit", f"questions-{blank}-id": "staff", f"questions-{blank}-type": "single",
             f"questions-{blank}-label_en": "Who served you?", f"questions-{blank}-label_id": "Siapa yang melayani?",
             f"questions-{blank}-options": "ani | Ani\nbudi | Budi"}
    response = client.post(f"/owner/surveys/{survey.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = store.get_survey(survey.id)
    assert saved.title.en == "After your visit"
    assert saved.questions[-1].id == "staff" and [o.value for o in saved.questions[-1].options] == ["ani", "budi"]
    assert saved.questions[:blank] == survey.questions


def test_invalid_edit_shows_every_problem_and_saves_nothing(client, owner, store):
    survey = make_survey(store)
    owner.login()
    data = edit_form(client, survey.id) | {"title_en": "", "title_id": "", "questions-1-id": "nps",
                                           "questions-2-options": "x | X"}
    response = client.post(f"/owner/surveys/{survey.id}/edit", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "needs a title" in text and "used twice" in text and "only choice questions have options" in text
    assert store.get_survey(survey.id) == survey


def test_preview_renders_the_form_without_a_submit_button(client, owner, store):
    survey = make_survey(store)
    owner.login()
    text = client.get(f"/owner/surveys/{survey.id}/preview?lang=id").get_data(as_text=True)
    assert "Pratinjau" in text and "Seberapa besar" in text and 'type="submit">Kirim' not in text


def test_personal_link_with_whatsapp_share_in_the_customers_language(client, owner, store):
    survey = make_survey(store, default_language="id")
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/links")
    response = client.post(f"/owner/surveys/{survey.id}/links", data={
        "csrf_token": token, "customer_name": "Siti", "contact": "0812-3456-7890", "order_ref": "A-17",
        "product": "Batik", "store": "Solo", "language": "id"})
    text = response.get_data(as_text=True)
    link = re.search(r'id="created-link"[^>]*value="([^"]+)"|value="([^"]+)" id="created-link"', text)
    url = next(g for g in link.groups() if g)
    token_in_link = url.rsplit("/s/", 1)[1]
    assert len(token_in_link) == 12
    invitation = store.get_invitation(token_in_link)
    assert invitation.properties == {"product": "Batik", "store": "Solo"} and invitation.order_ref == "A-17"
    share = re.search(r'href="(https://wa.me/[^"]+)"', text).group(1).replace("&amp;", "&")
    parsed = urllib.parse.urlsplit(share)
    assert parsed.path == "/6281234567890"
    message = urllib.parse.parse_qs(parsed.query)["text"][0]
    assert message.startswith("Halo Siti") and url in message


def test_personal_link_refuses_a_bad_contact(client, owner, store):
    survey = make_survey(store)
    owner.login()
    token = csrf_token(client, f"/owner/surveys/{survey.id}/links")
    response = client.post(f"/owner/surveys/{survey.id}/links", data={"csrf_token": token, "contact": "call me"})
    assert response.status_code == 400 and "phone number" in response.get_data(as_text=True)


def test_unknown_survey_is_404_for_owners(client, owner):
    owner.login()
    assert client.get("/owner/surveys/nope/edit").status_code == 404
    assert client.get("/owner/surveys/nope").status_code == 404
