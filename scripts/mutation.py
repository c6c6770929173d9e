"""`make mutation`: mutmut over the answer transaction, the metrics, the access rules and the sender, one module
at a time, each against only its own fast moto tests (a run per module in .cache/mutation/<module>, because
mutmut reads one test selection per directory), on the code and tests as committed at HEAD or at MUTATION_REV (the
checkout is shared: uncommitted edits are not measured). Prints the share killed per module and every survivor.

Usage: python scripts/mutation.py [--report | --keep] [module ...]   (default: all, the sender last; --report:
read the last runs' results without running again; --keep: carry over the last run's "killed" of every function
whose code did not change, mutmut's own incremental mode, and check everything else again, survivors included)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".cache" / "mutation"
MODULES = {  # name: (files mutated, the tests that judge them)
    "access": (["survey_app/web/access.py"],
               ["tests/integration/test_access.py", "tests/integration/test_access_rules.py",
                "tests/integration/test_role_walks.py", "tests/integration/test_roles_and_privacy.py",
                "tests/integration/test_role_case_page.py", "tests/integration/test_sessions.py",
                "tests/integration/test_two_factor.py"]),
    "metrics": (["survey_app/domain/metrics.py"], ["tests/unit/test_metrics.py", "tests/unit/test_metrics_exact.py"]),
    "responses": (["survey_app/services/responses.py", "survey_app/store/responses.py"],
                  ["tests/integration/test_answer_transaction.py", "tests/integration/test_comment_reads.py",
                   "tests/integration/test_core_loop.py", "tests/integration/test_responses_edges.py",
                   "tests/integration/test_reconcile_labels.py"]),
    "sending": (["survey_app/services/sending.py"],
                ["tests/integration/test_sending.py", "tests/integration/test_sending_recovery.py",
                 "tests/integration/test_sending_records.py"]),
}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}


REV = os.environ.get("MUTATION_REV", "HEAD")  # another commit when HEAD's tree does not run


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", REV], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def snapshot(here: Path) -> None:
    """The package and tests as committed (at HEAD, or MUTATION_REV), not the shared checkout's uncommitted edits
    (other engineers' work in progress would be measured, or fail the clean run and "kill" every mutant)."""
    for part in ("survey_app", "tests"):
        path = here / part
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
    archive = subprocess.run(["git", "archive", REV, "survey_app", "tests"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(here)], input=archive, check=True)
    compile_catalogs(here / "survey_app" / "translations")
    (here / "COMMIT").write_text(commit() + "\n")


def compile_catalogs(translations: Path) -> None:
    """The .mo catalogs the app reads are built, not committed (`make translations`): compiled here from the
    snapshot's own .po files, or every test, and so every mutant, fails on the missing catalog."""
    pybabel = ROOT / ".cache" / "i18n-venv" / "bin" / "pybabel"
    if not pybabel.exists():
        raise SystemExit(f"{pybabel} is missing: run `make translations` first (make mutation does)")
    for po in translations.glob("*/LC_MESSAGES/messages.po"):
        subprocess.run([str(pybabel), "compile", "-i", str(po), "-o", str(po.with_suffix(".mo"))], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def workdir(name: str) -> Path:
    """A directory whose pyproject.toml selects this module's files and tests (the project's own pytest
    settings and [tool.mutmut] options kept), with the committed package and tests in it."""
    files, tests = MODULES[name]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    here = WORK / name
    here.mkdir(parents=True, exist_ok=True)
    snapshot(here)
    shared = project["tool"]["mutmut"]
    config = {"source_paths": shared["source_paths"], "only_mutate": files,
              "pytest_add_cli_args_test_selection": tests, "pytest_add_cli_args": shared["pytest_add_cli_args"]}
    pytest_options = project["tool"]["pytest"]["ini_options"]
    lines = ["[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in config.items()]
    lines += ["", "[tool.pytest.ini_options]"] + [f"{k} = {json.dumps(v)}" for k, v in pytest_options.items()
                                                  if k != "testpaths"]
    (here / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return here


def killed_only(name: str) -> dict[Path, dict]:
    """The last run's verdicts with only "killed" kept: mutmut keeps them for functions whose hash is unchanged."""
    kept = {}
    for path in MODULES[name][0]:
        meta_path = WORK / name / "mutants" / f"{path}.meta"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            meta["exit_code_by_key"] = {k: v if STATUS.get(v) == "killed" else None
                                        for k, v in meta["exit_code_by_key"].items()}
            kept[meta_path] = meta
    return kept


def run(name: str, keep: bool = False) -> None:
    here = workdir(name)
    kept = killed_only(name) if keep else {}
    shutil.rmtree(here / "mutants", ignore_errors=True)  # survey_app, tests and the test map are read afresh
    for meta_path, meta in kept.items():
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps(meta))
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run(["nice", "-n", "10", str(mutmut), "run", "--max-children", os.environ.get("MUTATION_JOBS", "1")],
                   cwd=here, check=False, stdout=subprocess.DEVNULL)


def results(name: str) -> dict:
    """Killed share of every mutant mutmut made: one no test reaches counts as survived, not as excused."""
    here = WORK / name
    outcomes, survivors = Counter(), []
    for path in MODULES[name][0]:
        meta = json.loads((here / "mutants" / f"{path}.meta").read_text())
        for mutant, code in sorted(meta["exit_code_by_key"].items()):
            status = STATUS.get(code, "suspicious")
            outcomes[status] += 1
            if status != "killed":
                survivors.append((mutant, status))
    judged = sum(n for status, n in outcomes.items() if status not in ("not checked", "skipped"))
    score = outcomes["killed"] / judged if judged else 0.0
    commit = here / "COMMIT"
    return {"module": name, "commit": commit.read_text().strip() if commit.exists() else "checkout",
            "files": MODULES[name][0], "mutants": sum(outcomes.values()), "outcomes": dict(outcomes),
            "killed_share": round(score, 3), "survivors": survivors}


def diff(name: str, mutant: str) -> str:
    return subprocess.run([str(Path(sys.executable).with_name("mutmut")), "show", mutant], cwd=WORK / name,
                          capture_output=True, text=True).stdout


def main(args: list[str]) -> int:
    report_only, keep = "--report" in args, "--keep" in args
    names = [a for a in args if a not in ("--report", "--keep")] or list(MODULES)
    scores = []
    for name in names:
        if not report_only:
            run(name, keep)
        result = results(name)
        scores.append(result)
        print(f"{name} at {result['commit']}: {result['outcomes']} -> {result['killed_share']:.1%} killed", flush=True)
        unchecked = Counter(m.split("__mutmut_")[0].rsplit(".", 1)[-1] for m, s in result["survivors"]
                            if s == "not checked")
        if unchecked:  # a stopped run: where it did not get to, without a diff each
            print(f"  not checked: {dict(unchecked)}")
        for mutant, status in result["survivors"]:
            if status != "not checked":
                print(f"  {status}: {mutant}\n" + "".join(f"    {line}\n" for line in diff(name, mutant).splitlines()
                                                           if line[:1] in "+-" and line[:3] not in ("---", "+++")))
    (WORK / "results.json").write_text(json.dumps(scores, indent=1))
    incomplete = [r["module"] for r in scores if r["outcomes"].get("not checked")]
    if incomplete:  # a run that stopped (or never started: a failing clean run) measures nothing
        print(f"INCOMPLETE: mutants left unchecked in {', '.join(incomplete)}; their share is not a result")
    return 0 if not incomplete and all(r["killed_share"] >= 0.85 for r in scores) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
