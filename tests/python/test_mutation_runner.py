"""mutation/run_mutation.py (`make mutation`): its arithmetic, its checks of the equivalence list
and its work folder, without running mutmut (that takes minutes; `make mutation` does it)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib

import pytest

from conftest import PROJECT_DIR
from segmentation.outputs import MARKER, claim, clean


def _runner():
    spec = importlib.util.spec_from_file_location(
        "run_mutation", PROJECT_DIR / "mutation" / "run_mutation.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


runner = _runner()


def mutant(number: int, status: str, module: str = "identity", new: str = "b"):
    return runner.Mutant(
        f"segmentation.{module}.x_f__mutmut_{number}", module, status, ["- a", f"+ {new}"]
    )


def entry(number: int, change: str = "a -> b", module: str = "identity") -> dict:
    name = f"segmentation.{module}.x_f__mutmut_{number}"
    return {"name": name, "change": change, "reason": "cannot matter"}


def test_rates_raw_and_after_equivalents():
    # 100 mutants, 8 unnoticed of which 2 equivalent: raw 8%, after 6 / 98.
    mutants = [mutant(n, "killed") for n in range(92)]
    mutants += [mutant(n, "survived") for n in range(92, 99)] + [mutant(99, "no tests")]
    equivalents = {e["name"]: e for e in (entry(92), entry(93))}
    [result], problems = runner.summarise(mutants, ["identity"], equivalents)
    assert problems == []
    assert (result.total, result.killed, len(result.undetected), len(result.equivalent)) == (
        100,
        92,
        6,
        2,
    )
    assert result.raw_rate == pytest.approx(8.0)
    assert result.rate == pytest.approx(100 * 6 / 98)


def test_the_threshold_applies_to_each_module_and_the_total():
    low = [mutant(n, "killed") for n in range(19)] + [mutant(19, "survived")]  # 5%
    high = [mutant(n, "killed", "naming") for n in range(8)]
    high += [mutant(n, "survived", "naming") for n in (8, 9)]  # 20%
    results, _ = runner.summarise(low + high, ["identity", "naming"], {})
    text, ok = runner.report(results, 1.0, threshold=10)
    assert not ok
    assert "above 10%" in text.split("\n")[4]  # naming's row
    assert "above" not in text.split("\n")[3]  # identity's row
    _, ok = runner.report(results, 1.0, threshold=25)
    assert ok


def test_a_stale_or_wrong_equivalence_entry_is_a_problem_and_not_counted():
    mutants = [mutant(1, "survived", new="c"), mutant(2, "killed"), mutant(3, "survived")]
    equivalents = {e["name"]: e for e in (entry(1), entry(2), entry(3), entry(4))}
    [result], problems = runner.summarise(mutants, ["identity"], equivalents)
    assert [m.name for m in result.undetected] == ["segmentation.identity.x_f__mutmut_1"]
    assert [m.name for m in result.equivalent] == ["segmentation.identity.x_f__mutmut_3"]
    assert len(problems) == 3
    assert (
        "mutmut_1: declared equivalent for `a -> b` but the mutant is now `a -> c`" in (problems[0])
    )
    assert "mutmut_2: declared equivalent, yet a test kills it" in problems[1]
    assert "mutmut_4: declared equivalent but no such mutant any more" in problems[2]


def test_modules_must_be_the_decision_modules():
    assert runner.parse_modules("") == list(runner.MODULES)
    assert runner.parse_modules(" identity, clustering,identity") == ["identity", "clustering"]
    with pytest.raises(SystemExit, match="unknown module.*report.*choose among naming"):
        runner.parse_modules("identity,report")


def test_the_checked_in_equivalents_are_complete_and_name_decision_modules():
    equivalents = runner.load_equivalents()
    assert equivalents
    for name, item in equivalents.items():
        assert name.split(".")[1] in runner.MODULES
        assert " -> " in item["change"] and item["reason"].strip()
    raw = tomllib.loads(runner.EQUIVALENTS_FILE.read_text(encoding="utf-8"))
    assert len(raw["mutant"]) == len(equivalents)


def test_the_work_folder_is_never_one_it_did_not_make(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="MUTATION_DIR.*not empty and was not created"):
        runner.prepare_work_dir(foreign)
    assert sorted(path.name for path in foreign.iterdir()) == ["notes.txt"]
    assert (foreign / "notes.txt").read_text() == "keep me"
    for dangerous in (PROJECT_DIR, PROJECT_DIR.parent):
        with pytest.raises(SystemExit, match="MUTATION_DIR.*refusing to write there"):
            runner.prepare_work_dir(dangerous)
        assert not (dangerous / MARKER).exists()


def test_a_folder_of_another_purpose_is_refused(tmp_path):
    claim(tmp_path / "published", "published", "var published_dir")
    with pytest.raises(SystemExit, match="published folder, not a mutation folder"):
        runner.prepare_work_dir(tmp_path / "published")


def test_a_work_folder_of_the_old_runner_gets_a_hint(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / ".made-by-make-mutation").write_text("Made by `make mutation`\n")
    with pytest.raises(SystemExit, match="earlier `make mutation` made it.*remove that folder"):
        runner.prepare_work_dir(old)


def test_the_work_folder_lays_the_package_out_as_src(tmp_path):
    work = tmp_path / "work"
    runner.prepare_work_dir(work)
    assert (work / "src" / "segmentation").resolve() == PROJECT_DIR / "python" / "segmentation"
    assert (work / "tests").resolve() == PROJECT_DIR / "tests"
    settings = tomllib.loads((work / "pyproject.toml").read_text())
    mutmut = settings["tool"]["mutmut"]
    assert mutmut["source_paths"] == ["src/segmentation"]
    assert "not dbt" in mutmut["pytest_add_cli_args_test_selection"]
    assert settings["tool"]["pytest"]["ini_options"]["pythonpath"] == ["src"]
    runner.prepare_work_dir(work)  # its own folder: made again without complaint
    assert (work / "src" / "segmentation").resolve() == PROJECT_DIR / "python" / "segmentation"


def test_every_entry_is_inventoried_so_make_clean_removes_all_but_a_users_file(tmp_path):
    work = tmp_path / "work"
    folder = runner.prepare_work_dir(work)
    # What mutmut and the report add, recorded the way the runner does before writing them.
    folder.record("mutants", "mutmut.log")
    (work / "mutants" / "src").mkdir(parents=True)
    (work / "mutmut.log").write_text("log")
    folder.write_text("report.txt", "report")
    (work / "notes.txt").write_text("mine")
    on_disk = {path.name for path in work.iterdir()} - {MARKER, "notes.txt"}
    assert on_disk == folder.entries
    assert {"src", "tests", "pyproject.toml", "mutants", "report.txt"} <= on_disk

    runner.prepare_work_dir(work)  # the next run starts afresh and keeps the user's file
    assert not (work / "mutants").exists() and not (work / "report.txt").exists()
    assert (work / "notes.txt").read_text() == "mine"

    clean(work)  # what `make clean` runs
    assert sorted(path.name for path in work.iterdir()) == ["notes.txt"]
    assert (PROJECT_DIR / "tests" / "python" / "test_mutation_runner.py").is_file()
    assert (PROJECT_DIR / "python" / "segmentation" / "outputs.py").is_file()


def test_a_users_file_where_the_runner_links_stops_it(tmp_path):
    work = tmp_path / "work"
    runner.prepare_work_dir(work)
    runner.prepare_work_dir(work)
    (work / "README.md").unlink()
    (work / "README.md").write_text("my own readme")
    claim(work, "mutation", "MUTATION_DIR").forget("README.md")  # a file the user put there
    with pytest.raises(SystemExit, match="README.md was not written by this project"):
        runner.prepare_work_dir(work)
    assert (work / "README.md").read_text() == "my own readme"


def test_an_entry_says_whether_it_is_equivalent_or_unspecified(tmp_path):
    listed = tmp_path / "equivalents.toml"
    listed.write_text(
        "[[mutant]]\nname = 'segmentation.identity.x_f__mutmut_1'\nchange = 'a -> b'\n"
        "reason = 'r'\n\n[[mutant]]\nname = 'segmentation.identity.x_f__mutmut_2'\n"
        "change = 'a -> b'\nreason = 'r'\nkind = 'unspecified'\n"
    )
    equivalents = runner.load_equivalents(listed)
    assert [e["kind"] for e in equivalents.values()] == ["equivalent", "unspecified"]
    mutants = [mutant(n, "survived") for n in (1, 2)] + [mutant(n, "killed") for n in range(3, 21)]
    results, problems = runner.summarise(mutants, ["identity"], equivalents)
    assert problems == [] and [m.kind for m in results[0].equivalent] == [
        "equivalent",
        "unspecified",
    ]
    text, ok = runner.report(results, 1.0, threshold=10)
    assert ok and "change only what no specification fixes (1 of them)" in text
    listed.write_text(listed.read_text().replace("'unspecified'", "'harmless'"))
    with pytest.raises(SystemExit, match="kind 'harmless', not one of equivalent, unspecified"):
        runner.load_equivalents(listed)
