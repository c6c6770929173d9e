"""Realistic demo data for `make demo` and screenshots: an Indonesian shop's post-purchase NPS survey.

Responses go through services.submit_response, the same path customers use, so the demo's
aggregates are built exactly as production's are.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .domain.metrics import category
from .domain.models import Invitation, Survey, Text
from .services import (PastAnswer, create_invitation, import_history, save_survey, submit_response,
                       survey_from_template, utcnow)
from .store import Store

PRODUCTS = {"Kopi Gayo 250g": 0.8, "Batik Tulis Solo": 0.4, "Sambal Bawang 200ml": 0.2, "Keripik Tempe": -0.5}
STORES = {"Jakarta Selatan": 0.5, "Bandung": 0.2, "Surabaya": -0.2, "Tokopedia": -0.6}
NAMES = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Wayan", "Ketut", "Yusuf", "Maya", "Joko",
         "Sarah", "Michael", "Linda", "Kevin", "Nur", "Fajar", "Indah", "Rudi"]
COMMENTS = {
    "id": {
        "promoter": ["Kopinya enak sekali, pengiriman cepat!", "Pelayanan ramah dan cepat, pasti beli lagi.",
                     "Kualitas batiknya bagus, sesuai foto.", "Admin responsif, barang sampai dengan aman.",
                     "Harga sepadan dengan kualitasnya. Mantap!", "Packing rapi, sambalnya juara."],
        "passive": ["Produknya oke, tapi pengiriman agak lama.", "Lumayan, harganya sedikit mahal.",
                    "Bagus, cuma kemasannya bisa lebih baik.", "Rasanya enak tapi porsinya kecil."],
        "detractor": ["Barang datang rusak dan belum ada tanggapan dari admin.", "Pengiriman terlambat seminggu.",
                      "Keripiknya sudah melempem waktu sampai.", "Chat tidak dibalas, kecewa sekali.",
                      "Harga naik terus, kualitas turun.", "Aplikasinya error waktu bayar."],
    },
    "en": {
        "promoter": ["Great coffee, fast delivery!", "Friendly staff, will buy again.",
                     "Beautiful batik, exactly as pictured.", "Quick replies from the admin, thank you."],
        "passive": ["Good product but delivery took a while.", "Okay overall, a bit pricey.",
                    "Nice, though the packaging could be better."],
        "detractor": ["Item arrived damaged and nobody answered my messages.", "Delivery was a week late.",
                      "The chips were stale when they arrived.", "Payment page kept failing."],
    },
}


@dataclass(frozen=True)
class SeedResult:
    survey: Survey
    fresh_invitations: list[Invitation]


def _score(rng: random.Random, product: str, store: str) -> int:
    """A 0-10 score leaning on product and store, so segments differ the way a real shop's do."""
    lean = 7.6 + PRODUCTS[product] + STORES[store] + rng.gauss(0, 1.8)
    return max(0, min(10, round(lean)))


def _rating(rng: random.Random, score: int, high: int) -> int:
    return max(1, min(high, round(score / 10 * (high - 1) + 1 + rng.gauss(0, 0.6))))


def _past_answer(rng: random.Random, now: datetime) -> PastAnswer:
    product, shop = rng.choice(list(PRODUCTS)), rng.choice(list(STORES))
    lang = "id" if rng.random() < 0.75 else "en"
    score = _score(rng, product, shop)
    answers: dict[str, object] = {"nps": score}
    if rng.random() < 0.55:
        answers["reason"] = rng.choice(COMMENTS[lang][category(score)])
    if rng.random() < 0.7:
        answers["csat_product"] = _rating(rng, score, 5)
    if rng.random() < 0.6:
        answers["csat_delivery"] = _rating(rng, score - (2 if shop == "Tokopedia" else 0), 5)
    return PastAnswer(answers=answers, language=lang, submitted_at=now - timedelta(days=rng.uniform(0, 89.9)),
                      customer_name=rng.choice(NAMES), properties={"product": product, "store": shop})


RECENT_UNHAPPY = (
    ("Wayan", "+6281298765432", "id", "Keripik Tempe", "Tokopedia", 3, "Keripiknya sudah melempem waktu sampai, kecewa."),
    ("Linda", "", "en", "Batik Tulis Solo", "Surabaya", 5, "Delivery was a week late and nobody answered my chat."),
    ("Joko", "+6281377778888", "id", "Sambal Bawang 200ml", "Bandung", 8, "Admin tidak membalas chat saya, lambat sekali."),
    ("Dewi", "+6281211112222", "id", "Kopi Gayo 250g", "Jakarta Selatan", 2, "Barang datang rusak, kemasan penyok."),
)


def _recent_unhappy(store: Store, survey: Survey, now: datetime, tz_name: str) -> None:
    """A few answers of the last two days through the live path, so the demo has cases to follow up."""
    for hours, (name, phone, lang, product, shop, score, comment) in enumerate(RECENT_UNHAPPY, start=3):
        invitation = create_invitation(
            store, survey, customer_name=name, phone=phone, email="" if phone else f"{name.lower()}@example.com",
            language=lang, order_ref=f"INV-RECENT-{hours}", properties={"product": product, "store": shop},
            now=now - timedelta(hours=hours * 9))
        submit_response(store, survey, {"nps": score, "reason": comment}, language=lang,
                        submission_id=secrets.token_hex(16), invitation=invitation, now=now - timedelta(hours=hours * 8))


def seed(store: Store, responses: int, *, tz_name: str, now: datetime | None = None, rng_seed: int = 7) -> SeedResult:
    rng = random.Random(rng_seed)
    now = now or utcnow()
    survey = survey_from_template("post_purchase_nps", now - timedelta(days=91))
    survey = save_survey(store, Survey(
        id=survey.id, title=Text("Toko Nusantara: how was your order?", "Toko Nusantara: bagaimana pesanan Anda?"),
        intro=survey.intro, questions=survey.questions, default_language="id", created_at=survey.created_at,
    ))
    import_history(store, survey, (_past_answer(rng, now) for _ in range(responses)), tz_name)
    _recent_unhappy(store, survey, now, tz_name)
    fresh = [
        create_invitation(store, survey, customer_name=name, phone=phone, email=email, order_ref=ref, language=lang,
                          properties={"product": product, "store": shop}, now=now)
        for name, phone, email, ref, lang, product, shop in (
            ("Budi", "+6281234567890", "", "INV-DEMO-1", "id", "Kopi Gayo 250g", "Jakarta Selatan"),
            ("Sarah", "", "sarah@example.com", "INV-DEMO-2", "en", "Batik Tulis Solo", "Bandung"),
            ("", "", "", "INV-DEMO-3", "", "Sambal Bawang 200ml", "Tokopedia"),
        )
    ]
    return SeedResult(survey, fresh)
