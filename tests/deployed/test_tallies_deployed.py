"""Counters as deployed: customers answer through API Gateway into the web function, whose writes hold only their
own items and a tally each; the table's stream (DynamoDB Local's, read as Lambda's event source mapping reads
it) hands the tallies to the jobs function, which folds them. The dashboard then equals a recount."""
from __future__ import annotations

import re
import statistics
from concurrent.futures import ThreadPoolExecutor

from survey_app.services import create_invitation, reconcile
from tests.deployed.test_production_shape import logged_in
from tests.factories import make_survey

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ANSWERS = 60


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN.findall(html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def answer_through_the_front(deployed, token: str, score: int) -> int:
    visitor = deployed.client()
    page = visitor.get(f"/s/{token}")
    sent = visitor.post(f"/s/{token}", hidden_fields(page.text) | {"q_nps": str(score)},
                        headers={"Referer": f"{deployed.url}/s/{token}"})
    return sent.status


def test_answers_through_the_front_are_folded_by_the_jobs_function_from_the_stream(deployed):
    store = deployed.store()
    survey = make_survey(store)
    mapping = deployed.start_stream_mapping()
    tokens = [create_invitation(store, survey, customer_name=f"Pelanggan {i}", email=f"p{i}@example.test",
                                properties={"city": ("Bandung", "Medan", "Jakarta")[i % 3]}).token
              for i in range(ANSWERS + 1)]
    assert answer_through_the_front(deployed, tokens[0], 9) in (200, 302, 303)  # the jobs function warms up
    assert mapping.caught_up(60), mapping.state()
    mapping.lags.clear()
    with ThreadPoolExecutor(max_workers=4) as pool:  # the front's four instances, all busy
        statuses = list(pool.map(lambda item: answer_through_the_front(deployed, item[1], item[0] % 11),
                                 enumerate(tokens[1:])))
    assert all(status in (200, 302, 303) for status in statuses), statuses
    assert mapping.caught_up(60), mapping.state()
    assert reconcile(store, survey).clean  # every answer counted once, from the stream
    day = next(iter(store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()))
    assert day["n"] == ANSWERS + 1
    assert not [i for i in mapping.invocations if i.error], [i.error for i in mapping.invocations if i.error]
    lags = sorted(mapping.lags)
    p99 = lags[int(0.99 * (len(lags) - 1))]
    print(f"answer -> folded: n={len(lags)} p50={statistics.median(lags):.2f}s p99={p99:.2f}s "
          f"invocations={len(mapping.invocations)}")
    assert len(lags) >= ANSWERS  # every answer reached a fold; how fast is bench/tally_burst.py's (p99 <= 5 s)
    visitor, _ = logged_in(deployed)
    dashboard = visitor.get(f"/owner/surveys/{survey.id}").text
    assert "Figures updated" in dashboard or "Angka diperbarui" in dashboard


def test_the_counters_stage_runs_its_minute_sweep_from_its_schedule(deployed):
    swept = deployed.invoke_scheduled("production_counters", "survey_app.jobs.fold_overdue_event")
    assert not swept.error and swept.result.get("failed", 0) == 0, swept.error or swept.result
    assert deployed.function("production_counters").config.timeout_seconds == 60
