"""Every page in real Chromium, as deployed: a customer on a phone (scripts on and off), the owner over the whole
URL map, the static site. Each page must apply its stylesheet from the CDN origin, draw its charts, and show no
CSP refusal, console error, failed request or WCAG 2.1 A/AA violation (axe-core)."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from survey_app import create_app
from survey_app.demo_data import seed
from survey_app.domain.models import EMAIL_CHANNEL, WA_LINK_CHANNEL, WHATSAPP_CHANNEL
from survey_app.services import (Sender, case_board, create_api_key, create_invitation, create_owner, save_survey,
                                 send_due, utcnow)
from tests.deployed.page_checks import Styled, Watch, check_page
from tests.factories import make_invitation
from tests.unit.test_imports import tokopedia_xlsx

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
CUSTOMER_CSS = Styled("body", "background-color", "rgb(246, 247, 249)")  # app.css: body{background:#f6f7f9}
OWNER_CSS = Styled("header.bar", "display", "flex")  # owner.css: .bar{display:flex}
OWNER_EMAIL, OWNER_PASSWORD = "pages@example.test", "every page, every check"  # the deployment is shared


@dataclass(frozen=True)
class Seeded:
    survey_id: str
    tokens: list[str]
    expired_token: str
    response_id: str


@pytest.fixture(scope="module")
def seeded(deployed) -> Seeded:
    """A survey with answers, cases, comments, a send list, failures, an API key and fresh links to answer."""
    with pytest.MonkeyPatch.context() as patch:  # module scope: tests/conftest.py sets credentials per test only
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": deployed.region}.items():
            patch.setenv(name, value)
        return seed_survey(deployed.store(), deployed.public_url)


def seed_survey(store, public_url: str) -> Seeded:
    create_owner(store, OWNER_EMAIL, OWNER_PASSWORD)
    create_api_key(store, "shop", OWNER_EMAIL)
    survey = seed(store, 40, tz_name="Asia/Jakarta").survey
    # WhatsApp through the owner's own phone when the Cloud API is not set up: the send list has rows.
    survey = save_survey(store, replace(survey, delivery=replace(survey.delivery, channels=(
        WHATSAPP_CHANNEL, WA_LINK_CHANNEL, EMAIL_CHANNEL))))
    now = utcnow()
    for name, contact in (("Wati", {"phone": "+6281355556666"}), ("Rudi", {"email": "rudi@example.com"})):
        create_invitation(store, survey, customer_name=name, order_ref=f"INV-PAGES-{name}", send_at=now, **contact)
    # No channel configured: the phone goes to the WhatsApp send list, the e-mail fails, as they would.
    send_due(store, Sender(channels={}, base_url=public_url, business_name="Toko"), now=now + timedelta(minutes=1))
    tokens = [create_invitation(store, survey, customer_name="Budi", phone=f"+62812345678{i}", language="id").token
              for i in range(6)]
    # expired, not yet swept: AWS may still return an item two days past its TTL, which the factory keeps
    expired = make_invitation(store, survey, expired=True, customer_name="Ani", phone="+6281200000000").token
    case = case_board(store, survey).open[0]
    return Seeded(survey.id, tokens, expired, case.response_id)


@pytest.fixture(scope="module")
def chromium(browser):
    """tests/conftest.py's Chromium, under the name these walks use."""
    return browser


class Walker:
    """One role's browser context: go to (or act on) a page, then collect every problem it shows."""

    def __init__(self, context, axe_js: str, asset_origin: str, styled: Styled, scripts_off_checker=None):
        self.axe_js, self.asset_origin, self.styled = axe_js, asset_origin, styled
        self.checker, self.watch = scripts_off_checker, Watch.on(context)
        self.page = context.new_page()
        self.problems: dict[str, list[str]] = {}

    def check(self, label: str, expected_error: str = "", styled: Styled | None = None) -> None:
        self.problems[label] = check_page(self.page, self.watch, self.axe_js, styled or self.styled,
                                          self.asset_origin, expected_error, self.checker)

    def visit(self, url: str, status: int = 200, styled: Styled | None = None) -> None:
        response = self.page.goto(url)
        if response.status != status:  # noted, and the walk goes on: one run shows every broken page
            self.problems[url] = [f"HTTP {response.status}, not {status}"] + self.watch.take(url)
            return
        self.check(url, url if status >= 400 else "", styled)

    def report(self) -> str:
        """Each failing page with its problems, one per line: empty when every page passed."""
        return "\n".join(f"{label}:\n  " + "\n  ".join(problems)
                         for label, problems in self.problems.items() if problems)


def tell_more(walker: Walker) -> None:
    """The page after a one-tap score (the other questions, all optional), checked, then sent."""
    expect(walker.page.locator("input[name=q_nps]")).to_have_count(0)
    walker.check("tell us more")
    if walker.page.locator("textarea[name=q_reason]").count():
        walker.page.fill("textarea[name=q_reason]", "Terlambat.")
    walker.page.click("button[type=submit]")


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts-on", "scripts-off"])
def test_customer_pages_on_a_phone_pass_every_check(chromium, deployed, seeded, axe_js, scripts):
    """Answer, a refused post, thanks, the e-mail's score link and tell-us-more, opt-out, error pages, the site."""
    context = chromium.new_context(**PHONE, java_script_enabled=scripts)
    checker = None if scripts else chromium.new_context(**PHONE)
    walker = Walker(context, axe_js, deployed.static_url, CUSTOMER_CSS, checker and checker.new_page())
    first, tapped, unsubscribe = seeded.tokens[:3] if scripts else seeded.tokens[3:6]
    walker.visit(f"{deployed.url}/s/{first}")
    walker.page.fill("textarea[name=q_reason]", "Kopinya enak!")
    walker.page.locator("label:has(input[name=q_nps][value='9'])").tap()
    if scripts:  # a tapped score sends itself
        tell_more(walker)
    else:
        walker.page.click("button[type=submit]")
    expect(walker.page.locator("h1")).to_have_text("Terima kasih!")
    walker.check("thanks")
    walker.visit(f"{deployed.url}/s/{tapped}/3")  # the e-mail's score link: the score chosen, one send button
    walker.page.click("button[type=submit]")
    tell_more(walker)
    expect(walker.page.locator("h1")).to_have_text("Terima kasih!")
    walker.visit(f"{deployed.url}/o/{seeded.survey_id}")
    walker.page.click("button[type=submit]")  # nothing chosen: the form comes back with its errors (400)
    expect(walker.page.locator(".field-error").first).to_be_visible()
    walker.check("open link with errors", walker.page.url)
    walker.visit(f"{deployed.url}/u/{unsubscribe}")
    walker.page.click("button[type=submit]")
    walker.check("unsubscribed")
    walker.visit(f"{deployed.url}/s/{seeded.expired_token}", 410)
    walker.visit(f"{deployed.url}/s/no-such-link", 404)
    for name in ("index.html", "privacy.html", "expired.html", "404.html"):
        walker.visit(f"{deployed.static_url}/{name}")
    context.close()
    if checker:
        checker.close()
    assert not (problems := walker.report()), problems


def owner_pages(seeded: Seeded, job_id: str | None, upload_id: str | None = None) -> dict[str, str | None]:
    """{URL rule: path} for every GET rule of the app's URL map, with real ids substituted (None: no id known)."""
    values = {"survey_id": seeded.survey_id, "response_id": seeded.response_id, "token": seeded.tokens[0],
              "score": "9", "fmt": "csv", "kind": "svg"} | ({"job_id": job_id} if job_id else {}) | (
        {"upload_id": upload_id} if upload_id else {})
    app = create_app({"ENV": "test", "TABLE_NAME": "unused"})
    paths = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            known = set(rule.arguments) <= set(values)
            paths[rule.rule] = known and re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)
    return paths


ORDERS_CSV = (b"name,email,phone,order_ref,purchased_at,language,product,store\n"
              b"Sari,,0812-1111-2222,INV-9001,2026-11-26 14:30,id,Kopi Gayo 250g,Bandung\n"
              b"Tono,,not a phone,INV-9002,2026-11-26 15:00,id,Keripik Tempe,Surabaya\n")  # one row refused
CUSTOMER_RULES = {"/s/<token>", "/s/<token>/<int:score>", "/o/<survey_id>", "/u/<token>"}  # walked above
DOWNLOADS = {"/owner/surveys/<survey_id>/export.<fmt>": "text/csv",
             "/owner/surveys/<survey_id>/qr.<any(png, svg):kind>": "image/svg+xml"}

# GET rules that are not pages for a person: each is walked where its own counterpart calls it.
NOT_PAGES = {
    "/api/v1/surveys": "JSON for API keys: tests/fuzz/test_api_schema.py",
    "/api/v1/surveys/<survey_id>/cases": "JSON for API keys: tests/fuzz/test_api_schema.py",
    "/api/v1/surveys/<survey_id>/responses": "JSON for API keys: tests/fuzz/test_api_schema.py",
    "/api/v1/surveys/<survey_id>/summary": "JSON for API keys: tests/fuzz/test_api_schema.py",
    "/api/v1/webhooks": "JSON for API keys with the webhooks scope: tests/deployed/test_read_api_deployed.py",
    "/webhooks/whatsapp": "Meta's verification handshake: tests/deployed/test_whatsapp_through_the_front.py",
    "/owner/logos/<path:key>": "a logo image: tests/integration/test_branding.py",
    "/owner/surveys/<survey_id>/branding/logo": "S3's redirect after an upload: tests/integration/test_branding.py",
    "/s/<token>/review": "a redirect to the shop's review page: tests/integration/test_review_invitation.py",
    "/o/<survey_id>/review": "a redirect to the shop's review page: tests/integration/test_review_invitation.py",
    "/owner/webhooks/<hook_id>": "the log of an endpoint the seed does not have: tests/integration/test_webhooks*.py",
}
# Pages reached with the seed's invitation token, which is no invitation to the team, reset or digest: their
# "this link does not work" pages, checked like any other.
STATUS = {"/join/<token>": 410, "/reset/<token>": 410, "/owner/digest/stop/<token>": 404}

STYLED = {"/": OWNER_CSS, "/login": CUSTOMER_CSS, "/forgot": CUSTOMER_CSS, "/login/code": CUSTOMER_CSS,
          "/join/<token>": CUSTOMER_CSS, "/reset/<token>": CUSTOMER_CSS, "/owner/digest/stop/<token>": CUSTOMER_CSS, "/owner/surveys/<survey_id>/preview": CUSTOMER_CSS,
          "/owner/surveys/<survey_id>/poster": Styled("h1", "font-size", "29.3333px")}  # its own inline 22pt

# What each page must show of the seed: a page that renders empty passes every other check.
SHOWS = {"/owner/surveys/<survey_id>": "#comments li", "/owner/surveys/<survey_id>/preview": "fieldset.q",
         "/owner/surveys/<survey_id>/cases": "#case-list li", "/owner/surveys/<survey_id>/invitations": "#failures li",
         "/owner/surveys/<survey_id>/send-list": "#send-list li", "/owner/api-keys": "#keys li"}


def start_mapping(walker: Walker, base: str, survey_id: str) -> str | None:
    """A marketplace export of a new shape waits for its mapping step: that upload's id, or None (a problem).
    The file is XLSX, so its bytes cross API Gateway's binary media type as Excel wrote them."""
    walker.page.goto(f"{base}/owner/surveys/{survey_id}/import")
    if not walker.page.locator("input[name=csv_file]").count():
        walker.problems["import page"] = [f"no upload form: {walker.page.locator('body').inner_text()[:300]!r}"]
        return None
    walker.page.set_input_files("input[name=csv_file]", files=[{
        "name": "laporan-penjualan.xlsx", "buffer": tokopedia_xlsx(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    walker.page.click("form.stack button[type=submit]")
    walker.page.wait_for_load_state("load")
    waiting = re.search(r"/import/([\w-]+)$", walker.page.url)
    if not waiting:
        walker.problems["mapping step"] = [f"no mapping step: {walker.page.locator('main').inner_text()[:300]!r}"]
        return None
    return waiting.group(1)


def start_erasure(walker: Walker, base: str) -> str | None:
    """An erasure runs as an owner job and answers with the job's page: that page's id, or None (a problem)."""
    walker.page.goto(f"{base}/owner/privacy")
    walker.page.fill("input[name=email]", "nobody@example.com")
    walker.page.click("form.stack button[type=submit]")
    walker.page.wait_for_load_state("load")
    started = re.search(r"/owner/jobs/([\w-]+)$", walker.page.url)
    if not started:
        walker.problems["erasure job"] = [f"no job started: {walker.page.locator('main').inner_text()[:300]!r}",
                                          *walker.watch.take()]
        return None
    walker.check("erasure job")
    return started.group(1)


def test_owner_walks_every_page_of_the_url_map_and_each_passes_every_check(chromium, deployed, seeded, axe_js):
    """Every GET rule with real ids (a new route fails here until the seed can reach it), and pages after posts."""
    context = chromium.new_context(**DESKTOP)
    walker = Walker(context, axe_js, deployed.static_url, OWNER_CSS)
    walker.visit(f"{deployed.url}/login", styled=CUSTOMER_CSS)
    walker.page.fill("input[name=email]", OWNER_EMAIL)
    walker.page.fill("input[name=password]", OWNER_PASSWORD)
    walker.page.click("button[type=submit]")
    expect(walker.page).to_have_url(f"{deployed.url}/owner/")
    pages = owner_pages(seeded, job_id=start_erasure(walker, deployed.url),
                        upload_id=start_mapping(walker, deployed.url, seeded.survey_id))
    for rule, path in sorted(pages.items()):
        if rule in CUSTOMER_RULES or rule in NOT_PAGES:
            continue
        if not path:
            walker.problems[rule] = ["not walked: the seed has no value for its ids"]
            continue
        if rule in DOWNLOADS:
            response = context.request.get(deployed.url + path)
            assert response.status == 200 and response.headers["content-type"].startswith(DOWNLOADS[rule]), rule
            continue
        walker.visit(deployed.url + path, STATUS.get(rule, 200), styled=STYLED.get(rule))
        if rule in SHOWS and not walker.page.locator(SHOWS[rule]).count():
            walker.problems.setdefault(deployed.url + path, []).append(f"shows no {SHOWS[rule]}")
    walker.visit(f"{deployed.url}/owner/surveys/{seeded.survey_id}?segment=store%3DBandung&by=month&category=detractor"
                 "&q=kirim")  # a segment, a category and a search: the filtered dashboard's notes and hints
    walker.page.goto(f"{deployed.url}/owner/surveys/{seeded.survey_id}/import")
    walker.page.set_input_files("input[name=csv_file]", files=[{"name": "orders.csv", "mimeType": "text/csv",
                                                                "buffer": ORDERS_CSV}])
    walker.page.click("form.stack button[type=submit]")
    expect(walker.page.locator("#import-report")).to_be_visible()
    walker.check("import report")
    walker.page.goto(f"{deployed.url}/owner/surveys/{seeded.survey_id}/links")
    walker.page.fill("input[name=customer_name]", "Sari")
    walker.page.fill("input[name=contact]", "+6281311112222")
    walker.page.click("form.stack button[type=submit]")
    walker.check("personal link created")
    walker.page.goto(f"{deployed.url}/owner/surveys/{seeded.survey_id}/cases/{seeded.response_id}")
    walker.page.fill("textarea[name=note]", "Called, sending a new link.")
    walker.page.check("input[name=ask_again]")
    walker.page.click("form.stack button[type=submit]")
    expect(walker.page.locator("#new-link")).to_be_visible()
    walker.check("case updated, asked again")
    walker.page.goto(f"{deployed.url}/owner/api-keys")
    walker.page.fill("input[name=label]", "till")
    walker.page.click("form.stack button[type=submit]")
    expect(walker.page.locator("#new-key")).to_be_visible()
    walker.check("API key created")
    context.close()
    assert not (problems := walker.report()), problems
