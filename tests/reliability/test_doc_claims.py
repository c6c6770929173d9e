"""docs/reliability.md names, beside each claim, the test that proves it: a test renamed or removed must not
leave the claim standing on nothing. Each `file::test` (and each `::test` after it, which means the file named
last before it) must be a test defined in that file under tests/."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
SPAN = re.compile(r"`([^`]+)`")
CITATION = re.compile(r"^(?P<file>[\w/]+\.py)?(?:::(?P<test>test_\w+))?$")


def cited_tests(text: str) -> list[tuple[str, str]]:
    """(file under tests/, test name) for every test the text cites, in order."""
    cited, current = [], None
    for span in SPAN.findall(text):
        match = CITATION.match(span.strip())
        if not match or not (match["file"] or match["test"]):
            continue
        if match["file"] and is_test_file(match["file"]):
            current = match["file"]
        elif match["file"]:
            continue  # a source file (services/..., store/...): not where tests live
        if match["test"]:
            cited.append((current, match["test"]))
    return cited


def is_test_file(path: str) -> bool:
    """`test_*.py` and `conftest.py` name test files, cited or not present; anything else names source."""
    return Path(path).name.startswith("test_") or Path(path).name == "conftest.py"


def cited_files(text: str) -> list[str]:
    """Every `*.py` path the text names, alone or before `::test`."""
    return [match["file"] for span in SPAN.findall(text)
            if (match := CITATION.match(span.strip())) and match["file"]]


def exists(path: str) -> bool:
    """Test files live under tests/; other paths are written from tests/ (helpers), survey_app/ or the root."""
    if is_test_file(path):
        return (ROOT / "tests" / path).exists()
    return any((base / path).exists() for base in (ROOT / "tests", ROOT / "survey_app", ROOT))


def defines(path: Path, test: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def {test}\(", path.read_text(), re.MULTILINE) is not None


def test_every_test_named_in_the_reliability_doc_exists_in_the_file_named_with_it():
    cited = cited_tests(DOC.read_text())
    assert len(cited) >= 60  # the doc cites its proofs; a parser that found none would prove nothing
    missing = [f"{file}::{test}" for file, test in cited if file is None or not defines(ROOT / "tests" / file, test)]
    assert missing == []


def test_every_file_named_in_the_reliability_doc_exists():
    assert [path for path in cited_files(DOC.read_text()) if not exists(path)] == []


def test_a_test_file_named_but_missing_is_not_mistaken_for_a_source_file():
    text = "`reliability/test_gone.py::test_something`, `store/responses.py`, `conftest.py`"
    assert cited_tests(text) == [("reliability/test_gone.py", "test_something")]
    assert [path for path in cited_files(text) if not exists(path)] == ["reliability/test_gone.py"]


def test_a_citation_resolves_against_the_last_test_file_named_before_it():
    text = ("`integration/test_access.py::test_security_headers_are_set` and `::test_nothing_like_it`, "
            "`services/responses.py`, `::test_public_routes_are_only_the_customer_login_and_asset_pages`")
    assert cited_tests(text) == [("integration/test_access.py", "test_security_headers_are_set"),
                                 ("integration/test_access.py", "test_nothing_like_it"),
                                 ("integration/test_access.py", "test_public_routes_are_only_the_customer_login_and_asset_pages")]
    path = ROOT / "tests" / "integration" / "test_access.py"
    assert defines(path, "test_security_headers_are_set") and not defines(path, "test_nothing_like_it")
