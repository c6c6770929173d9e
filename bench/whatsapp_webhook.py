"""WhatsApp webhook throughput on DynamoDB Local, through the real app (signature check, parse, process) in this
process: customers' messages from unknown numbers (each claimed by its wamid and kept in the inbox) and delivery
statuses of sent invitations (each moving the message forward with its funnel counters, in one transaction).
Then Meta-style retries: the same batches posted three times, reordered; duplicates are counted, not assumed
(inbox entries per wamid, funnel counters against the statuses sent)."""
from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

from common import dynamodb_local, make_app, new_store, print_result, row, seed_survey

BATCH = 10  # Meta's notifications usually carry one item; batching ten is kinder to the machine, the cost per item
TARGET_PER_SECOND = 50  # the Cloud API's default send rate is 80 msg/s: statuses arrive at most at that pace


def _post(client, payload) -> int:
    from tests import whatsapp_payloads as meta

    body, headers = meta.signed(payload)
    return client.post("/webhooks/whatsapp", data=body, headers=headers).status_code


def measure(endpoint: str, messages: int) -> dict:
    from tests import whatsapp_payloads as meta

    from survey_app.services import create_invitation, utcnow

    store = new_store(endpoint)
    app = make_app(store)
    app.config.update(WHATSAPP_APP_SECRET=meta.APP_SECRET)
    client = app.test_client()
    now = utcnow().replace(microsecond=0)
    survey = seed_survey(store)
    wamids = []
    for i in range(messages):  # invitations "sent" on WhatsApp: their message references, as the sender writes them
        invitation = create_invitation(store, survey, customer_name="Budi", phone=f"+62812{i:07d}",
                                       order_ref=f"W-{i}")
        wamid = f"wamid.bench{i:06d}"
        store.put_message_ref(wamid, {"kind": "invitation", "token": invitation.token, "survey_id": survey.id,
                                      "channel": "whatsapp"}, int(now.timestamp()))
        wamids.append((wamid, invitation.phone))
    inbound = [meta.text(f"wamid.in{i:06d}", f"+62877{i:07d}", now + timedelta(seconds=i), f"halo {i}")
               for i in range(messages)]
    statuses = [meta.status(w, state, phone, now + timedelta(seconds=1)) for w, phone in wamids
                for state in ("delivered", "read")]
    batches = [[*inbound[i:i + BATCH]] for i in range(0, len(inbound), BATCH)] + \
              [[*statuses[i:i + BATCH]] for i in range(0, len(statuses), BATCH)]

    calls = {"n": 0}
    store.client.meta.events.register("before-call.dynamodb", lambda **_: calls.__setitem__("n", calls["n"] + 1))
    started = time.perf_counter()
    codes = [_post(client, meta.envelope(*batch)) for batch in batches[:len(inbound) // BATCH]]
    inbound_calls = calls["n"]
    codes += [_post(client, meta.envelope(*batch)) for batch in batches[len(inbound) // BATCH:]]
    first = time.perf_counter() - started
    status_calls = calls["n"] - inbound_calls
    rng = random.Random(7)
    started = time.perf_counter()
    for _ in range(3):  # Meta retries: the same batches again, in another order, items shuffled inside them
        again = [rng.sample(batch, len(batch)) for batch in rng.sample(batches, len(batches))]
        codes += [_post(client, meta.envelope(*batch)) for batch in again]
    retries = time.perf_counter() - started

    inbox = [entry["message_id"] for entry in store.inbox(limit=10 * messages)]
    day_totals: dict[str, int] = {}
    for counters in store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values():
        for name, value in counters.items():
            day_totals[name] = day_totals.get(name, 0) + value
    items = len(inbound) + len(statuses)
    return {"items": items, "first_rate": items / first, "retry_rate": 3 * items / retries,
            "inbox_duplicates": len(inbox) - len(set(inbox)), "inbox_missing": messages - len(set(inbox)),
            "delivered": day_totals.get("inv#whatsapp#delivered", 0), "read": day_totals.get("inv#whatsapp#read", 0),
            "non_200": sum(code != 200 for code in codes), "messages": messages,
            "calls_per_message": inbound_calls / len(inbound), "calls_per_status": status_calls / len(statuses)}


def run(messages: int = 300) -> dict:
    with dynamodb_local() as endpoint:
        result = measure(endpoint, messages)
    duplicates = result["inbox_duplicates"] + (result["delivered"] - messages) + (result["read"] - messages)
    rows = [
        row(f"WhatsApp webhook, {result['items']:,} items ({messages} messages + {2 * messages} statuses) "
            f"in batches of {BATCH}", f"{result['first_rate']:,.0f} items/s",
            target=f">= {TARGET_PER_SECOND}/s", met=result["first_rate"] >= TARGET_PER_SECOND),
        row("DynamoDB calls per item (machine-independent)",
            f"{result['calls_per_message']:.1f} per message, {result['calls_per_status']:.1f} per status"),
        row("Meta-style retries: every batch posted 3 more times, reordered",
            f"{result['retry_rate']:,.0f} items/s; duplicates {duplicates}, missing {result['inbox_missing']}, "
            f"non-200 answers {result['non_200']}", target="0 duplicates, 0 missing",
            met=duplicates == 0 and result["inbox_missing"] == 0 and result["non_200"] == 0),
    ]
    notes = ["in-process Flask test client on DynamoDB Local: the signature check, parsing and store writes, not "
             "API Gateway or Lambda; a message costs a conditional put (its claim), the window mark and the inbox "
             "entry; a status a read, then one transaction (message, invitation, counters)"]
    return {"rows": rows, "notes": notes}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    print_result(run(**vars(parser.parse_args())))
