"""Every hypothesis test of the suite runs under the run's profile (tests/fuzz/profiles.py): seeded in `make test`,
so its examples are the same on every run; nothing in tests/ switches the seeding off."""
from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.profiles import PROFILE

TESTS = Path(__file__).resolve().parents[1]
PROFILES = TESTS / "fuzz" / "profiles.py"
UNSEEDING_METHODS = {"load_profile", "register_profile"}  # settings' ways to pick another profile


def seeded(test_settings: settings) -> bool:
    """What the run's profile asks for: derandomized and no example database under `seeded`."""
    expected = settings.get_profile(PROFILE)
    return test_settings.derandomize == expected.derandomize and test_settings.database == expected.database


def test_the_runs_profile_is_loaded_before_any_test_module():
    assert settings.get_current_profile_name() == PROFILE
    if PROFILE == "seeded":
        assert settings.default.derandomize and settings.default.database is None


def test_a_hypothesis_test_without_settings_of_its_own_runs_seeded():
    @given(st.integers())
    def new_test(number):
        pass

    assert seeded(new_test._hypothesis_internal_use_settings)


@settings(max_examples=3)
@given(st.integers())
def test_a_hypothesis_test_with_settings_of_its_own_still_runs_seeded(number):
    assert seeded(test_a_hypothesis_test_with_settings_of_its_own_still_runs_seeded._hypothesis_internal_use_settings)


def test_every_collected_hypothesis_test_runs_seeded(request):
    """Under `make test`: every hypothesis test of the suite (this module's own, at least, whatever is collected)."""
    tests = {item.nodeid.split("[")[0]: item.obj for item in request.session.items
             if getattr(getattr(item, "obj", None), "is_hypothesis_test", False)}
    assert any(name.endswith("::test_a_hypothesis_test_with_settings_of_its_own_still_runs_seeded") for name in tests)
    unseeded = sorted(name for name, test in tests.items() if not seeded(test._hypothesis_internal_use_settings))
    assert not unseeded, f"hypothesis tests outside the {PROFILE!r} profile: {unseeded}"


def _unseeding(tree: ast.AST) -> list[str]:
    """Calls that pick examples outside the run's profile: hypothesis's @seed, another profile, derandomize or
    database set to anything but the seeded profile's values."""
    seeds = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and node.module == "hypothesis" for alias in node.names if alias.name == "seed"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in seeds) or (isinstance(func, ast.Attribute) and (
                func.attr in UNSEEDING_METHODS or (func.attr == "seed" and ast.unparse(func.value) == "hypothesis"))):
            found.append(f"line {node.lineno}: {ast.unparse(func)}()")
        for keyword in node.keywords:
            constant = keyword.value.value if isinstance(keyword.value, ast.Constant) else object()
            if (keyword.arg, constant) not in (("derandomize", True), ("database", None)) \
                    and keyword.arg in ("derandomize", "database"):
                found.append(f"line {node.lineno}: {keyword.arg}={ast.unparse(keyword.value)}")
    return found


def test_no_test_module_switches_the_seeding_off():
    offenders = {str(path.relative_to(TESTS)): found for path in sorted(TESTS.rglob("*.py"))
                 if path != PROFILES and (found := _unseeding(ast.parse(path.read_text(), str(path))))}
    assert not offenders, offenders


def test_the_source_check_catches_each_way_of_unseeding():
    sources = ["@settings(derandomize=False)\ndef t(): pass", "from hypothesis import seed\n@seed(1)\ndef t(): pass",
               "import hypothesis\n@hypothesis.seed(1)\ndef t(): pass", "settings.load_profile('explore')",
               "settings(database=DirectoryBasedExampleDatabase('.h'))", "settings(derandomize=flag)"]
    assert all(_unseeding(ast.parse(source)) for source in sources)
    assert not any(_unseeding(ast.parse(source)) for source in [
        "@settings(fuzz_settings(10), derandomize=True, database=None)\ndef t(): pass", "seed(store, 40)",
        "random.seed(1)"])
