"""Built-in surveys, in Indonesian and English, drawn from common loyalty-measurement practice."""
from __future__ import annotations

from .models import CES, CSAT, LONG_TEXT, NPS, NPS_RANGES, SINGLE, Condition, Option, Question, Text

COMPLAINT_CATEGORIES = (
    ("product", "Product", "Produk"),
    ("service", "Service / staff", "Layanan / staf"),
    ("communication", "Communication", "Komunikasi"),
    ("delivery", "Delivery", "Pengiriman"),
    ("system", "System / app", "Sistem / aplikasi"),
    ("price", "Price", "Harga"),
)


def _q(qid, qtype, en, id_, required=False, options=(), show_when=None):
    return Question(qid, qtype, Text(en, id_), required, tuple(options), show_when=show_when)


def _for(group: str) -> Condition:
    low, high = NPS_RANGES[group]
    return Condition(question="nps", low=low, high=high)


TEMPLATES: dict[str, dict] = {
    "nps_by_score": {
        "name": Text("NPS with a follow-up for each score", "NPS dengan pertanyaan lanjutan sesuai nilai"),
        "title": Text("How was your purchase?", "Bagaimana pembelian Anda?"),
        "intro": Text("It takes less than a minute.", "Hanya butuh kurang dari satu menit."),
        "questions": (
            _q("nps", NPS, "How likely are you to recommend us to a friend or colleague?",
               "Seberapa besar kemungkinan Anda merekomendasikan kami kepada teman atau kerabat?", True),
            _q("loved", LONG_TEXT, "Thank you! What do you love most about {product|us}?",
               "Terima kasih! Apa yang paling Anda sukai dari {product|kami}?", show_when=_for("promoter")),
            _q("to_ten", LONG_TEXT, "What would make it a 10?", "Apa yang bisa membuatnya jadi 10?",
               show_when=_for("passive")),
            _q("went_wrong", LONG_TEXT, "We are sorry. What went wrong?", "Mohon maaf. Apa yang kurang dari kami?",
               show_when=_for("detractor")),
            _q("csat_delivery", CSAT, "How satisfied are you with the delivery?",
               "Seberapa puas Anda dengan pengirimannya?"),
        ),
    },
    "post_purchase_nps": {
        "name": Text("Post-purchase NPS", "NPS setelah pembelian"),
        "title": Text("How was your purchase?", "Bagaimana pembelian Anda?"),
        "intro": Text(
            "It takes less than a minute and helps us serve you better.",
            "Hanya butuh kurang dari satu menit dan membantu kami melayani Anda lebih baik.",
        ),
        "questions": (
            _q("nps", NPS, "How likely are you to recommend us to a friend or colleague?",
               "Seberapa besar kemungkinan Anda merekomendasikan kami kepada teman atau kerabat?", True),
            _q("reason", LONG_TEXT, "What is the main reason for your score?",
               "Apa alasan utama Anda memberikan nilai tersebut?"),
            _q("csat_product", CSAT, "How satisfied are you with the product?",
               "Seberapa puas Anda dengan produknya?"),
            _q("csat_delivery", CSAT, "How satisfied are you with the delivery?",
               "Seberapa puas Anda dengan pengirimannya?"),
        ),
    },
    "after_sales_csat": {
        "name": Text("After-sales service CSAT", "CSAT layanan purna jual"),
        "title": Text("How did we do?", "Bagaimana layanan kami?"),
        "intro": Text("Tell us about your recent service.", "Ceritakan pengalaman layanan Anda baru-baru ini."),
        "questions": (
            _q("csat_service", CSAT, "Overall, how satisfied are you with our service?",
               "Secara keseluruhan, seberapa puas Anda dengan layanan kami?", True),
            _q("resolved", SINGLE, "Was your issue resolved?", "Apakah masalah Anda terselesaikan?", True,
               (Option("yes", Text("Yes", "Ya")), Option("partly", Text("Partly", "Sebagian")),
                Option("no", Text("No", "Tidak")))),
            _q("comment", LONG_TEXT, "What could we do better?", "Apa yang bisa kami tingkatkan?"),
        ),
    },
    "customer_effort": {
        "name": Text("Customer effort (CES)", "Kemudahan pelanggan (CES)"),
        "title": Text("Was it easy?", "Apakah mudah?"),
        "intro": Text("One quick question about your experience.", "Satu pertanyaan singkat tentang pengalaman Anda."),
        "questions": (
            _q("ces", CES, "The company made it easy for me to handle my issue. (1 = strongly disagree, 7 = strongly agree)",
               "Perusahaan memudahkan saya menyelesaikan urusan saya. (1 = sangat tidak setuju, 7 = sangat setuju)", True),
            _q("comment", LONG_TEXT, "What made it easy or hard?", "Apa yang membuatnya mudah atau sulit?"),
        ),
    },
    "complaint_follow_up": {
        "name": Text("Complaint follow-up", "Tindak lanjut keluhan"),
        "title": Text("Tell us what went wrong", "Ceritakan apa yang salah"),
        "intro": Text("We read every answer and will get back to you.",
                      "Kami membaca setiap jawaban dan akan menghubungi Anda."),
        "questions": (
            _q("category", SINGLE, "What is your complaint about?", "Keluhan Anda tentang apa?", True,
               tuple(Option(v, Text(en, id_)) for v, en, id_ in COMPLAINT_CATEGORIES)),
            _q("details", LONG_TEXT, "Please describe what happened.", "Mohon ceritakan apa yang terjadi.", True),
        ),
    },
}
