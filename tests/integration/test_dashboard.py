"""The owner's dashboard against hand-computed fixtures: numbers, trend, comparison, segments, filters,
comments, and exports that are safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime, timedelta, timezone

from survey_app.services import PastAnswer, create_invitation, import_history, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.factories import every_type_survey, make_survey

NOW = datetime.now(timezone.utc).replace(hour=5, minute=0, second=0, microsecond=0)  # 12:00 in Jakarta


def load(store, survey, rows):
    """rows: (days ago, score, store name, language, comment)."""
    import_history(store, survey, [
        PastAnswer({"nps": score} | ({"reason": comment} if comment else {}), lang, NOW - timedelta(days=ago),
                   customer_name="C", properties={"store": shop})
        for ago, score, shop, lang, comment in rows], tz_name="Asia/Jakarta")


def numbers(client, url):
    text = client.get(url).get_data(as_text=True)
    return (int(re.search(r'id="response-count">(\d+)<', text).group(1)),
            re.search(r'id="nps-value">([^<]+)<', text).group(1), text)


def test_headline_numbers_match_a_hand_computed_fixture(client, owner, store):
    survey = make_survey(store)
    # 10 responses this week: 5 promoters, 2 passives, 3 detractors -> NPS +20
    load(store, survey, [(0, s, "Solo", "id", "") for s in (10, 10, 9, 9, 9, 8, 7, 6, 3, 0)])
    owner.login()
    count, score, text = numbers(client, f"/owner/surveys/{survey.id}")
    assert (count, score) == (10, "+20")
    # adjusted Wald: n = 13, p = 5.75/13, d = 3.75/13 -> half-width 1.96 * sqrt((p + d - (p - d)^2) / 13)
    p, d = 5.75 / 13, 3.75 / 13
    moe = 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert f"± {moe:.0f} at 95% confidence" in text and round(moe) == 46
    assert "50%</span><span class=\"sub\">5" in text and "Fewer than 30 responses" in text


def test_previous_period_comparison_says_whether_the_change_is_real(client, owner, store):
    survey = make_survey(store)
    load(store, survey, [(40, 0, "Solo", "id", "")] * 60 + [(10, 10, "Solo", "id", "")] * 60)
    owner.login()
    first, last = (NOW - timedelta(days=29)).date(), NOW.date()
    text = client.get(f"/owner/surveys/{survey.id}?first={first}&last={last}").get_data(as_text=True)
    change = re.search(r'id="change">[^:]+: Change ([+-]\d+) \(± (\d+)\) — ([^<]+)<', text)
    assert change.group(1) == "+200" and "bigger than the noise" in change.group(3)
    small = make_survey(store)
    load(store, small, [(40, 6, "Solo", "id", ""), (40, 10, "Solo", "id", ""), (10, 10, "Solo", "id", ""),
                        (10, 6, "Solo", "id", ""), (10, 9, "Solo", "id", "")])
    text = client.get(f"/owner/surveys/{small.id}?first={first}&last={last}").get_data(as_text=True)
    assert "within the noise" in text


def test_segments_are_sorted_flag_small_ones_and_filter_the_figures(client, owner, store):
    survey = make_survey(store)
    load(store, survey, [(1, 10, "Bandung", "id", "Kopinya enak")] * 30 + [(1, 0, "Surabaya", "en", "Late delivery")] * 5)
    owner.login()
    count, score, text = numbers(client, f"/owner/surveys/{survey.id}")
    assert count == 35
    table = text.split('class="ratings segment-table"><tr><th>store</th>', 1)[1].split("</table>", 1)[0]
    assert table.index("Bandung") < table.index("Surabaya") and table.count("few responses") == 1
    count, score, text = numbers(client, f"/owner/surveys/{survey.id}?segment=store%3DSurabaya")
    assert (count, score) == (5, "-100") and "Late delivery" in text and "Kopinya enak" not in text
    count, score, _ = numbers(client, f"/owner/surveys/{survey.id}?segment=language%3Did")
    assert (count, score) == (30, "+100")


def test_comments_filter_by_category_theme_and_text(client, owner, store):
    survey = make_survey(store)
    load(store, survey, [(0, 10, "Solo", "id", "Pengiriman cepat, mantap"), (0, 2, "Solo", "id", "Barang rusak"),
                         (0, 8, "Solo", "en", "Price is a bit high")])
    owner.login()
    base = f"/owner/surveys/{survey.id}"
    detractors = client.get(f"{base}?category=detractor").get_data(as_text=True)
    assert "Barang rusak" in detractors and "Pengiriman cepat" not in detractors
    delivery = client.get(f"{base}?theme=delivery").get_data(as_text=True)
    assert "Pengiriman cepat" in delivery and "Barang rusak" not in delivery
    found = client.get(f"{base}?q=PRICE").get_data(as_text=True)
    assert "Price is a bit high" in found and "Barang rusak" not in found


def test_trend_by_month_and_ratings_and_choices(client, owner, store):
    survey = every_type_survey(store)
    for score, csat, liked in ((10, 5, ["price"]), (9, 4, ["price", "speed"]), (3, 1, [])):
        invitation = create_invitation(store, survey)
        submit_response(store, survey, {"nps": score, "csat_product": csat, "liked": liked}, language="id",
                        submission_id=new_submission_id(), invitation=invitation, now=NOW)
    owner.login()
    text = client.get(f"/owner/surveys/{survey.id}?by=month").get_data(as_text=True)
    trend = json.loads(re.search(r'id="fig-trend">(.+?)</script>', text).group(1).replace("\\u003c", "<"))
    assert trend["data"][1]["x"] == [NOW.date().replace(day=1).isoformat()]
    assert re.search(r"How satisfied are you with the product\?</td><td>3</td>\s*<td>3.33</td><td>67%", text)
    assert "Price</td><td>100%" in text and "Speed</td><td>50%" in text  # of the 2 who answered it


def test_response_rate_by_channel_reads_invitation_events(client, owner, store):
    survey = make_survey(store)
    store.add_day_counters(survey.id, NOW.date().isoformat(), {"inv#email#sent": 4, "inv#email#opened": 3})
    invitation = create_invitation(store, survey)
    submit_response(store, survey, {"nps": 9}, language="id", submission_id=new_submission_id(),
                    invitation=invitation, now=NOW)
    owner.login()
    text = client.get(f"/owner/surveys/{survey.id}").get_data(as_text=True)
    table = text.split('id="delivery-table">', 1)[1].split("</table>", 1)[0]
    assert "<td>E-mail</td><td>4</td><td>3</td><td>0</td>" in table and "<td>Link shared by hand</td>" in table


def test_csv_export_neutralises_formulas_and_follows_filters(client, owner, store):
    survey = make_survey(store)
    load(store, survey, [(0, 3, "=HYPERLINK(\"http://evil\")", "id", "=1+1"), (0, 9, "Solo", "id", "@SUM(A1)"),
                         (60, 10, "Solo", "id", "-old")])
    owner.login()
    response = client.get(f"/owner/surveys/{survey.id}/export.csv?first={(NOW - timedelta(days=7)).date()}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    cells = [value for row in rows for value in row.values() if value]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells and "'=HYPERLINK(\"http://evil\")" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    lines = client.get(f"/owner/surveys/{survey.id}/export.jsonl?segment=store%3DSolo").get_data(as_text=True)
    records = [json.loads(line) for line in lines.splitlines()]
    assert sorted(r["score"] for r in records) == [9, 10]


def test_printable_summary_lists_trend_and_segments(client, owner, store):
    survey = make_survey(store)
    load(store, survey, [(2, 10, "Solo", "id", "Bagus"), (2, 0, "Bandung", "id", "Jelek")])
    owner.login()
    text = client.get(f"/owner/surveys/{survey.id}/summary").get_data(as_text=True)
    assert 'id="nps-value">+0<' in text and "Bandung" in text and "Bagus" in text
