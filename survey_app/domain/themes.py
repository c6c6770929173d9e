"""Themes and sentiment of free-text comments (Indonesian and English) from shipped word lists.

Runs inside the submit request, so it is stdlib only and a handful of dict look-ups per word.
Data (the word lists) comes first; the matching logic below it never names a word.
See docs/themes.md for the rules, the labelled sample and the measured accuracy.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from . import sentiment_model
from .models import Text

THEMES = ("product", "service", "communication", "delivery", "price", "system")
THEME_LABELS = {
    "product": Text("Product quality", "Kualitas produk"),
    "service": Text("Service / staff", "Layanan / staf"),
    "communication": Text("Communication / response time", "Komunikasi / kecepatan respons"),
    "delivery": Text("Delivery", "Pengiriman"),
    "price": Text("Price", "Harga"),
    "system": Text("App / system", "Aplikasi / sistem"),
}
SENTIMENTS = ("positive", "negative", "neutral")

# ---------------------------------------------------------------------------------------------
# Word lists. Words are written in their base or most common form; the matcher also strips
# common Indonesian affixes and English -s/-ed/-ing, but only accepts a stripped form that is
# listed here. Multi-word phrases are written with "_" and matched on consecutive words.
# ---------------------------------------------------------------------------------------------

THEME_WORDS = {
    "product": """
        produk product kualitas kwalitas quality berkualitas bahan kain material fabric
        jahitan jahit stitching rasa taste tasty enak lezat hambar porsi portion makanan food minuman
        drink kopi coffee teh cake kue roti bread bakso sepatu shoes baju kaos shirt celana pants tas bag
        sabun soap pakaian clothes warna color colour original ori asli palsu fake kw genuine awet durable
        rusak cacat defect defective luntur shrank shrink broke broken sobek robek basi stale fresh segar
        seger wangi harum bau smell smelling deskripsi description described foto photo gambar picture
        tipis nerawang tebal kekecilan kebesaran size_chart runs_small fit fits rambut haircut made
        murahan feels_cheap looks_cheap
        """,
    "service": """
        pelayanan layanan melayani pelayan service servis staf staff karyawan pegawai employee kasir
        cashier waiter waitress pramusaji barista barber kapster refund retur tukar exchange garansi
        warranty antrian antri queue tanggung_jawab proses
        """,
    "communication": """
        respon respons response respond responsif responsive fast_respon slow_respon fast_response
        slow_response balas bales balasan reply chat wa whatsapp telepon telpon telp phone call angkat
        info informasi informatif inform kabar update jawab answer pertanyaan question tanya nanya
        komunikasi komunikatif communication communicative message hubung contact ghosting read
        jelasin explain told tell
        """,
    "delivery": """
        kirim kiriman pengiriman shipping ship shipment delivery deliver kurir courier driver
        delivery_guy shipped ekspedisi expedition jne jnt sicepat anteraja gosend ojol paket package parcel
        packing packaging pack kemasan dus kardus box bubble_wrap sampai sampe nyampe tiba datang
        dateng arrive arrival antar anter resi tracking track alamat address telat terlambat late delay
        on_time tepat_waktu jemput
        """,
    "price": """
        harga price pricing pricey murah cheap cheapest mahal expensive overpriced kemahalan diskon
        discount promo voucher cashback sale deal worth worth_it value_for_money value terjangkau
        affordable reasonable bersaing hemat budget ongkir ongkos_kirim shipping_fee shipping_cost
        delivery_fee gratis_ongkir free_shipping sesuai_harga
        """,
    "system": """
        aplikasi app apk web website situs site checkout bayar pembayaran payment pay qris ewallet
        kartu_kredit credit_card error eror bug crash force_close login log_in register otp verifikasi
        password akun account loading load sistem system keranjang cart tampilan interface fitur
        feature notifikasi notification tombol button page history mesin machine
        """,
}

# Staff who mostly work in the chat (admin, CS): a comment about their replies is a communication
# theme, so they count for "service" only when no communication word is present. "Seller" and
# "owner" are the shop itself ("recommended seller"), not staff, so they are not listed.
ONLINE_STAFF = "admin cs customer_service support mbak mas"
# "barang"/"item" is the subject of many delivery sentences ("barang belum sampai"); it names the
# product theme only when the next word judges it ("barang bagus") and is not about speed.
GOODS = "barang item"
SPEED = "cepat cepet lama lambat fast slow quick quickly kilat gercep telat late lelet lemot"
# Manners belong to whoever is named: to the courier if one is, otherwise to service.
MANNERS = """ramah friendly sopan polite rude kasar jutek judes cuek galak sombong sabar cekatan sigap
    profesional professional amanah jujur welcoming ignore unhelpful tanggung_jawab"""
COURIERS = "kurir courier driver delivery_guy ojol"

POSITIVE = """
    bagus bgs baik mantap mantab mantep mantul keren top enak lezat puas memuaskan suka senang
    seneng cepat cepet kilat gercep ramah sopan rapi rapih aman selamat murah terjangkau bersaing hemat
    worth worth_it recommended rekomendasi rekomen rekom original ori asli awet tahan_lama nyaman bersih
    wangi harum sesuai lengkap jelas responsif fast_respon fast_response sabar membantu helpful
    informatif komunikatif amanah jujur profesional sukses makasih terima_kasih terimakasih thanks thank
    mudah gampang simpel praktis lancar tepat_waktu sigap cekatan tanggap best juara langganan betah
    segar seger fresh adem tebal premium berkualitas lumayan pertahankan sip love like nice good great
    excellent amazing awesome perfect perfectly fantastic happy satisfied friendly polite fast quick
    quickly speedy clear clearly easy smooth affordable reasonable fair genuine tasty delicious generous
    recommend decent appreciated appreciate safely safe early earlier responsive welcoming well solved deal
    value_for_money comfortable clean beautiful cantik aktif ngotak on_time make_up_for top_markotop
    """
NEGATIVE = """
    jelek buruk lama lambat lemot lelet telat terlambat mahal kemahalan rusak cacat pecah penyok robek
    sobek luntur bau basi hambar pahit dingin kotor jutek judes cuek galak kasar sombong ribet susah
    sulit gagal error eror bug crash ngelag hang macet bingung nyasar hilang salah palsu kw tipis
    nerawang kekecilan kebesaran kacau berantakan lepas zonk tipu penipu bohong ghosting lupa males
    kesel kesal marah komplain keluhan masalah problem issue muter slow_respon slow_response overpriced
    pricey expensive slow late delay rude unhelpful broke broken damaged bad poor worse confusing fail
    failed wrong wet cold bitter dry stale fake nightmare ignore annoyed forgot forever ages shrank
    fell_apart smell smelling hassle complain complaint stuck lost missing dirty useless mess messy
    force_close down tingkatkan perbaiki improve benahi menurun beda berbeda different kosong out_of_stock
    hard difficult long murahan feels_cheap looks_cheap kecil
    """
STRONG_POSITIVE = "mantap mantul puas memuaskan love excellent amazing awesome perfect best juara top_markotop"
STRONG_NEGATIVE = "kecewa kapok parah nyesel menyesal terrible awful horrible worst disappointed disappointing scam"

NEGATORS = """tidak tdk gak ga gk g nggak ngga ngak engga enggak nda ndak tak bukan belum blm blom kurang krg
    tanpa not no never nothing without jangan"""
# Verbs whose denial is a complaint ("belum sampai", "never arrived", "gak bisa login").
EVENTS = """sampai sampe nyampe tiba datang dateng arrive came come balas bales reply respon response
    respond jawab answer angkat proses process kabar info update bisa can could work load told tell
    inform"""
INTENSIFIERS = """sangat sgt amat super super_duper paling sungguh very really so extremely totally
    banget bgt bngt sekali pisan abis bener"""
DIMINISHERS = "agak sedikit dikit rada a_bit bit slightly kinda somewhat little"
EXCESS = "terlalu kebanyakan kelewat too"  # "terlalu manis": too much of anything is a complaint
CONTRAST = "tapi tp tetapi namun cuma cuman hanya sayang sayangnya but however except kecuali"
CONTRAST_WEIGHT = 3.0  # "bagus, tapi lama": the clause after the contrast decides
CONCESSION = "walaupun walau meskipun biarpun although though"  # what follows matters less
WISHES = "semoga moga mudah_mudahan hopefully"  # a wish is not a verdict: its clause does not count
# Phrases that only stop a word from being read the wrong way ("sampai sekarang" is "until now").
NOT_THEMES = """sampai_sekarang sampe_sekarang sampai_saat sampai_hari sampai_kapan datang_ke dateng_ke
    nothing_special so_so biasa_aja biasa_saja"""
EMOJI_POSITIVE = "👍🙏😁😊😀😃😄😍🥰❤🔥👌💯"
EMOJI_NEGATIVE = "👎😡😠😤😞😢😭💔🙄😒"

# Informal spellings mapped to one listed form before look-up.
SPELLINGS = {
    "dr": "dari", "yg": "yang", "udh": "udah", "sdh": "udah", "dgn": "dengan", "tp": "tapi", "bgtt": "bgt",
    "brg": "barang", "pengirimanya": "pengiriman", "resp": "respon", "fastrespon": "fast_respon",
    "slowrespon": "slow_respon", "fastresp": "fast_respon", "gratisongkir": "gratis_ongkir",
    "ok": "oke", "okay": "oke", "okey": "oke", "okee": "oke", "mksh": "makasih", "trims": "makasih",
    "thx": "thanks", "tks": "thanks", "rekomended": "recommended", "recomended": "recommended",
}
WEAK_POSITIVE = "oke fine"  # a lone "ok" is noncommittal; several of them are praise
WEAK_NEGATIVE = "nunggu tunggu wait"  # waiting is rarely praised, but "lagi nunggu paket" is no complaint
# Words that strip to a listed word but mean something else ("kecepatan" is speed, not "fast").
PLAIN = "kecepatan pesanan pesan"

SLANG_FILE = Path(__file__).with_name("data") / "slang.json"

SUFFIXES = ("nya", "lah", "kah", "pun", "ku", "mu")
DERIVATIONAL_SUFFIXES = ("kan", "an", "in", "i")
PREFIXES = (  # (prefix, letter the prefix swallowed): "mengecewakan" -> "kecewa", "memakai" -> "pakai"
    ("meng", "k"), ("peng", "k"), ("meny", "s"), ("peny", "s"), ("mem", "p"), ("pem", "p"), ("men", "t"),
    ("pen", "t"), ("me", ""), ("pe", ""), ("ber", ""), ("be", ""), ("ter", ""), ("di", ""), ("ke", ""),
    ("se", ""), ("nge", ""), ("ng", ""), ("ny", ""), ("per", ""),
)
ENGLISH_SUFFIXES = ("ing", "ed", "es", "s", "d")

# ---------------------------------------------------------------------------------------------
# Matching logic.
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(text.split())


_THEME_OF = {word: theme for theme, words in THEME_WORDS.items() for word in _words(words)}
_ONLINE_STAFF, _MANNERS, _COURIERS = _words(ONLINE_STAFF), _words(MANNERS), _words(COURIERS)
_GOODS, _SPEED = _words(GOODS), _words(SPEED)
_NEGATORS, _EVENTS, _EXCESS = _words(NEGATORS), _words(EVENTS), _words(EXCESS)
_INTENSIFIERS, _DIMINISHERS = _words(INTENSIFIERS), _words(DIMINISHERS)
_CONTRAST, _CONCESSION, _WISHES = _words(CONTRAST), _words(CONCESSION), _words(WISHES)
_POLARITY = {
    **{w: 0.25 for w in _words(WEAK_POSITIVE)}, **{w: -0.25 for w in _words(WEAK_NEGATIVE)},
    **{w: 1.0 for w in _words(POSITIVE)}, **{w: -1.0 for w in _words(NEGATIVE)},
    **{w: 2.0 for w in _words(STRONG_POSITIVE)}, **{w: -2.0 for w in _words(STRONG_NEGATIVE)},
    **{e: 1.0 for e in EMOJI_POSITIVE}, **{e: -1.0 for e in EMOJI_NEGATIVE},
}
_KNOWN = (set(_THEME_OF) | _ONLINE_STAFF | _MANNERS | _NEGATORS | _EVENTS | _EXCESS | _INTENSIFIERS
          | _DIMINISHERS | _CONTRAST | _CONCESSION | _WISHES | set(_POLARITY) | _words(NOT_THEMES)
          | _GOODS | _words(PLAIN) | set(SPELLINGS.values()))
_PHRASES = {tuple(w.split("_")): w for w in _KNOWN if "_" in w}
_KNOWN |= {part for phrase in _PHRASES for part in phrase}  # "bertanggung jawab" -> "tanggung jawab"
_LONGEST_PHRASE = max(len(p) for p in _PHRASES)
_BOUNDARY = set(".,!?;:()/")
_TOKEN = re.compile(r"[a-z]+|[.,!?;:()/]|[\u2600-\u27bf\U0001F300-\U0001FAFF]")


@lru_cache(maxsize=4096)
def _canonical(word: str) -> str:
    """The listed form of one lower-case word, trying elongation fixes and affix stripping; failing those, the
    standard spelling of a colloquial one (Kamus Alay: "kmrn" -> "kemarin"), in its own listed form if it has one."""
    forms = tuple(dict.fromkeys((word, re.sub(r"(.)\1{2,}", r"\1", word), re.sub(r"(.)\1{2,}", r"\1\1", word))))
    listed = _listed_form(forms)
    if listed:
        return listed
    standard = next((_slang()[form] for form in forms if form in _slang()), "")
    return (_listed_form((standard,)) or standard) if standard else word


def _listed_form(forms: tuple[str, ...]) -> str:
    for form in forms:
        form = SPELLINGS.get(form, form)
        if form in _KNOWN:
            return form
        for stem in _stems(form):
            if stem in _KNOWN:
                return SPELLINGS.get(stem, stem)
    return ""


@lru_cache(maxsize=1)
def _slang() -> dict[str, str]:
    """Slang -> standard spellings (survey_app/domain/data/slang.json, from indoNLP 0.3.4, MIT; built by
    scripts/public_comments.py); read on the first word no list knows."""
    return json.loads(SLANG_FILE.read_text(encoding="utf-8"))


def _stems(word: str):
    """Candidate stems, least stripping first; the caller keeps only a listed one."""
    bases = [word] + [word[: -len(s)] for s in SUFFIXES if word.endswith(s) and len(word) - len(s) >= 3]
    for base in list(bases):
        bases += [base[: -len(s)] for s in DERIVATIONAL_SUFFIXES if base.endswith(s) and len(base) - len(s) >= 3]
    for base in bases:
        yield base
        for prefix, swallowed in PREFIXES:
            if base.startswith(prefix) and len(base) - len(prefix) >= 3:
                yield base[len(prefix):]
                if swallowed:
                    yield swallowed + base[len(prefix):]
    if len(word) >= 5:
        yield from (word[: -len(s)] for s in ENGLISH_SUFFIXES if word.endswith(s))
        if word.endswith(("ied", "ies")):  # "replied" -> "reply"
            yield word[:-3] + "y"


def _tokens(text: str) -> list[str]:
    """Lower-case listed words, phrases joined with "_", punctuation kept as clause boundaries."""
    text = text.lower().replace("’", "'").replace("\n", " . ")  # answers are joined with newlines
    text = re.sub(r"([a-z])2+", r"\1", re.sub(r"n't\b", " not", text))
    raw = [_canonical(t) for t in _TOKEN.findall(text)]
    out, i = [], 0
    while i < len(raw):
        for size in range(min(_LONGEST_PHRASE, len(raw) - i), 1, -1):
            phrase = _PHRASES.get(tuple(raw[i:i + size]))
            if phrase:
                out.append(phrase)
                i += size
                break
        else:
            out.append(raw[i])
            i += 1
    return out


def normalised_words(text: str) -> list[str]:
    """The comment's words in their listed forms (phrases joined with "_"), punctuation left out."""
    return [t for t in _tokens(text) if t not in _BOUNDARY]


@lru_cache(maxsize=4096)
def word_forms(word: str) -> frozenset[str]:
    """A word, its stretched letters squeezed, and every stem they may strip to: for matching words no shipped
    list has (an owner's "suasana" in "suasananya", "wifi" in "wifiii")."""
    squeezed = {word, re.sub(r"(.)\1{2,}", r"\1", word), re.sub(r"(.)\1{2,}", r"\1\1", word)}
    return frozenset(form for each in squeezed for form in (each, *_stems(each)))


def themes(text: str) -> tuple[str, ...]:
    """The themes a comment mentions, in THEMES order: the word lists' and the theme models'."""
    tokens = _tokens(text)
    found = _listed(tokens) | sentiment_model.model_themes(
        sentiment_model.features(tokens, _BOUNDARY, _NEGATORS, _CONTRAST, _score(tokens)))
    return tuple(t for t in THEMES if t in found)


def listed_themes(text: str) -> set[str]:
    """The word lists' themes alone (what the theme models are trained to add to)."""
    return _listed(_tokens(text))


def _listed(tokens: list[str]) -> set[str]:
    found = {_THEME_OF[t] for t in tokens if t in _THEME_OF}
    if any(t in _GOODS and _judged(tokens[i + 1:i + 4]) for i, t in enumerate(tokens)):
        found.add("product")
    if _MANNERS.intersection(tokens) and not _COURIERS.intersection(tokens):
        found.add("service")
    if _ONLINE_STAFF.intersection(tokens) and "communication" not in found:
        found.add("service")
    return found


def _judged(following: list[str]) -> bool:
    """Whether the first telling word after "barang" judges the goods (not their speed or travel)."""
    for token in following:
        if token in _BOUNDARY or token in _THEME_OF:
            return token in _THEME_OF and _THEME_OF[token] == "product"
        if token in _POLARITY:
            return token not in _SPEED
    return False


def score(text: str) -> float:
    """Sum of word polarities: negation flips the next polar word, "tapi"/"but" outweighs what came before."""
    return _score(_tokens(text))


def _score(tokens: list[str]) -> float:
    total, weight, boost, negated, last = 0.0, 1.0, 1.0, 0, 0.0
    for token in tokens + ["."]:
        if token in _BOUNDARY or token in _CONTRAST or token in _CONCESSION:
            if negated:  # a denial with nothing to flip ("gak bisa login") still reports a failure
                total -= weight
            negated, boost = 0, 1.0
            if token in _CONTRAST:
                weight = CONTRAST_WEIGHT
            elif token in _CONCESSION:
                weight = 0.5
            elif weight == 0.0:  # a wish lasts to the end of its clause
                weight = 1.0
            continue
        if token in _WISHES:
            weight = 0.0
        elif token in _NEGATORS:
            negated = 4
        elif token in _INTENSIFIERS or token in _DIMINISHERS:
            factor = 1.5 if token in _INTENSIFIERS else 0.5
            if last:  # "lama banget": strengthens the word before it
                total += last * (factor - 1)
                last = 0.0
            else:  # "sangat puas": strengthens the word after it
                boost = factor
        elif token in _EXCESS:
            boost = -1.0  # "terlalu manis", "too pricey": always a complaint
        else:
            polarity = _POLARITY.get(token, 0.0)
            if boost < 0:
                polarity, boost = -abs(polarity or 1.0), 1.0
            if negated and (polarity or token in _EVENTS):
                polarity, negated = (-polarity if polarity else -1.0), 0
            elif negated:
                negated -= 1
                if not negated:
                    total -= weight
            if polarity:
                last = polarity * boost * weight
                total += last
                boost = 1.0
    return total


def comment_features(text: str) -> dict[str, float]:
    """What the sentiment model reads: the listed forms of the words, and the word lists' own score."""
    tokens = _tokens(text)
    return sentiment_model.features(tokens, _BOUNDARY, _NEGATORS, _CONTRAST, _score(tokens))


def sentiment(text: str) -> str:
    """"positive", "negative" or "neutral" (a lone "ok", a plain statement, or no words at all)."""
    if not any(ch.isalpha() for ch in text) and not any(e in text for e in EMOJI_POSITIVE + EMOJI_NEGATIVE):
        return "neutral"
    return sentiment_model.classify(comment_features(text))


def is_complaint(text: str) -> bool:
    """Negative comments open a follow-up case for the owner even when the score is not a detractor."""
    return sentiment(text) == "negative"
