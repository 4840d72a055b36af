"""`make mutation`: mutation testing of the package's decision modules with mutmut (pinned).

mutmut changes one thing at a time in a module (a comparison, a constant, a condition) and runs
the tests that call the changed function. A mutant no test notices "survived": a behaviour that
can be broken without any test failing. This script

1. lays out a work folder (default `.mutation/`; a folder the project owns, see
   segmentation.outputs, so `make clean` removes what it wrote there) in the layout mutmut
   understands: the package as `src/segmentation` (mutmut names modules after their path and
   strips only `src/`; the project keeps it under `python/`), the other project files beside
   it (tests read `segments/`, `bench/`, ... relative to the project), all as symlinks;
2. runs `mutmut run` there on the chosen modules, with the fast tests only (`-m "not dbt"`:
   a dbt build per mutant would take days; mutmut runs, per mutant, only the selected tests
   that call the mutated function);
3. reports per module and overall: mutants, killed, surviving, the survival rate raw and after
   the mutants declared equivalent in `mutation/equivalent_mutants.toml` (each with the
   change it was checked against and a one-line reason), and lists every surviving mutant
   with its diff.

It exits 1 when a module's or the overall survival rate after equivalents is above
`--threshold` (percent, default 10), when an equivalence entry no longer matches its mutant
(the function changed: re-check it) or when a test kills a mutant declared equivalent; 2 when
mutmut itself fails. Every run starts from fresh mutants, so results never come from a cache.

Usage: `python mutation/run_mutation.py [--modules identity,clustering] [--threshold 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
# This checkout's package, whatever the environment has installed.
sys.path.insert(0, str(PROJECT_DIR / "python"))

from segmentation.outputs import OutputFolderError, OwnedFolder, claim  # noqa: E402

PACKAGE = "segmentation"
# The package's decision modules (issue 13, section 7).
# outputs decides what may be deleted, so it is one too.
MODULES = (
    "naming",
    "quality",
    "identity",
    "publish",
    "clustering",
    "rule_segments",
    "outputs",
)
EQUIVALENTS_FILE = PROJECT_DIR / "mutation" / "equivalent_mutants.toml"
DEFAULT_WORK_DIR = PROJECT_DIR / ".mutation"
WORK_DIR_KIND = "mutation"
WORK_DIR_SETTING = "MUTATION_DIR"
# What the work folder's marker was called before it used segmentation.outputs.
OLD_MARKER = ".made-by-make-mutation"
# Tests run per mutant: the fast ones. test_generator.py exercises only the generator and
# scikit-learn directly (~30 s), so it would only slow the one stats run down;
# test_mutation_runner.py tests this script, not the package. test_publish_faults.py kills or
# fails a publish at every rename, in processes of their own (~3 min): run for every publish
# and outputs mutant no test kills first, it would take hours, and a mutant reached only in
# those processes is not seen by mutmut; test_publish_recovery.py tests the same decisions
# (what recover and the commit keep, put back or remove) in-process, in seconds.
# test_engine_seams.py reads the project's SQL and python/ as text (no behaviour of a mutated
# module), and the work folder keeps the package under src/.
TEST_SELECTION = [
    "tests/python",
    "-m",
    "not dbt",
    "--ignore=tests/python/test_generator.py",
    "--ignore=tests/python/test_mutation_runner.py",
    "--ignore=tests/python/test_publish_faults.py",
    "--ignore=tests/python/test_engine_seams.py",
]
# Project entries the tests never need (and the work folder itself); src/ is the package's.
NOT_LINKED = {
    "python",
    "src",
    "build",
    "warehouse",
    "target",
    "logs",
    "dbt_packages",
    "mutants",
    "__pycache__",
}
# Why a surviving mutant may be listed in the equivalents file: it cannot change what the code
# does ("equivalent"), or it changes only what no specification fixes, e.g. which seeded
# subsample is drawn ("unspecified"; the reason must say which specification is silent).
EQUIVALENCE_KINDS = ("equivalent", "unspecified")
# mutmut's exit-code classes, by what they mean for the survival rate.
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
UNDETECTED = {"survived", "no tests", "suspicious"}


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    diff: list[str] = field(default_factory=list)  # the changed lines, "-" then "+"
    kind: str | None = None  # its equivalence entry's kind, when it is listed and still alive

    @property
    def change(self) -> str:
        """The diff on one line, `removed -> added`: what an equivalence entry must match."""
        removed, added = (
            " / ".join(line[1:].strip() for line in self.diff if line.startswith(sign))
            for sign in "-+"
        )
        return f"{removed} -> {added}"


@dataclass
class ModuleResult:
    module: str
    total: int
    killed: int
    undetected: list[Mutant]
    equivalent: list[Mutant]
    statuses: Counter

    @property
    def raw_rate(self) -> float:
        return rate(len(self.undetected) + len(self.equivalent), self.total)

    @property
    def rate(self) -> float:
        return rate(len(self.undetected), self.total - len(self.equivalent))


def rate(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


# --- The work folder ---------------------------------------------------------------------------


def prepare_work_dir(work_dir: Path) -> OwnedFolder:
    """The work folder, as a folder the project owns (segmentation.outputs: created or found
    empty, and marked), laid out afresh: every entry an earlier run wrote there is removed, then
    each entry is listed in the folder's inventory before it is created, so that `make clean`
    removes exactly those. A file of someone else's in it stays; a dangerous or foreign folder,
    or a file of someone else's where the layout needs an entry, stops it."""
    try:
        folder = claim(work_dir, WORK_DIR_KIND, WORK_DIR_SETTING, protected=[PROJECT_DIR])
        lay_out(folder)
    except OutputFolderError as error:
        hint = ""
        if (Path(work_dir) / OLD_MARKER).exists():
            hint = (
                f" (It holds {OLD_MARKER}: an earlier `make mutation` made it before it used the "
                "project's markers; remove that folder once.)"
            )
        raise SystemExit(f"make mutation: {error}{hint}") from None
    return folder


def lay_out(folder: OwnedFolder) -> None:
    # Fresh mutants every run: results never come from an earlier run's cache.
    folder.remove(*folder.entries)
    links = {Path("src") / PACKAGE: PROJECT_DIR / "python" / PACKAGE}
    for entry in sorted(PROJECT_DIR.iterdir()):
        skip = entry.name.startswith(".") or entry.name.endswith("egg-info")
        if skip or entry.name in NOT_LINKED or entry.name == "pyproject.toml":
            continue
        if entry.resolve() == folder.path:
            continue
        links[Path(entry.name)] = entry
    for relative, target in links.items():
        top = relative.parts[0]
        folder.refuse_foreign(top)
        folder.record(top)
        link = folder.path / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    also_copy = sorted(str(path) for path in links if path.parts[0] not in ("src", "tests"))
    folder.write_text("pyproject.toml", pyproject_text(also_copy))


def pyproject_text(also_copy: list[str]) -> str:
    """The work folder's pyproject.toml: the project's pytest settings and mutmut's."""
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_settings = dict(project["tool"]["pytest"]["ini_options"])
    pytest_settings["pythonpath"] = ["src"]
    mutmut_settings = {
        "source_paths": [f"src/{PACKAGE}"],
        # Each run names its modules on the command line; all are generated, these mutated.
        "only_mutate": [f"src/{PACKAGE}/{module}.py" for module in MODULES],
        "pytest_add_cli_args_test_selection": TEST_SELECTION,
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "also_copy": also_copy,
    }
    return (
        "# Written by mutation/run_mutation.py for `make mutation`; edit that script instead.\n"
        + toml_table("tool.pytest.ini_options", pytest_settings)
        + toml_table("tool.mutmut", mutmut_settings)
    )


def toml_table(name: str, values: dict) -> str:
    lines = [f"\n[{name}]"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")  # strings, lists and bools: valid TOML
    return "\n".join(lines) + "\n"


# --- Running mutmut ----------------------------------------------------------------------------


def run_mutmut(folder: OwnedFolder, modules: list[str], max_children: int | None) -> float:
    """`mutmut run` on the modules' mutants; returns the seconds it took."""
    folder.record("mutants", "mutmut.log")  # what mutmut writes there, listed before it does
    work_dir = folder.path
    log_path = work_dir / "mutmut.log"
    command = [sys.executable, "-m", "mutmut", "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    command += [f"{PACKAGE}.{module}.*" for module in modules]
    # One thread per worker: mutmut forks a worker per CPU already, and the fork happens after
    # scikit-learn ran, which OpenMP thread pools do not survive well.
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update(os.environ)
    print(f"make mutation: mutmut on {', '.join(modules)} (log: {log_path})", flush=True)
    started = time.monotonic()
    with log_path.open("w") as log:
        completed = subprocess.run(
            command, cwd=work_dir, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        tail = log_path.read_text(errors="replace")[-4000:]
        print(tail, file=sys.stderr)
        raise SystemExit(2)
    return seconds


# --- Reading the results -----------------------------------------------------------------------


def read_mutants(work_dir: Path, modules: list[str]) -> list[Mutant]:
    """Every mutant of the modules with its status and diff, read from mutmut's files."""
    os.chdir(work_dir)  # mutmut's readers take paths relative to the folder it ran in
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    mutants = []
    for module in modules:
        path = Path("src") / PACKAGE / f"{module}.py"
        data = SourceFileMutationData(path=path)
        data.load()
        if not data.exit_code_by_key:
            raise SystemExit(f"make mutation: mutmut left no results for {path}")
        for name, exit_code in sorted(data.exit_code_by_key.items(), key=natural_key):
            status = status_by_exit_code[exit_code]
            diff = [
                line
                for line in get_diff_for_mutant(name, path=path).splitlines()
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]
            mutants.append(Mutant(name, module, status, diff))
    return mutants


def natural_key(item: tuple[str, object]) -> tuple[str, int]:
    name = item[0]
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> dict[str, dict]:
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    by_name: dict[str, dict] = {}
    for entry in entries:
        missing = [key for key in ("name", "change", "reason") if not entry.get(key)]
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {', '.join(missing)}")
        entry.setdefault("kind", "equivalent")
        if entry["kind"] not in EQUIVALENCE_KINDS:
            raise SystemExit(
                f"{path}: {entry['name']}: kind {entry['kind']!r}, not one of "
                f"{', '.join(EQUIVALENCE_KINDS)}"
            )
        if entry["name"] in by_name:
            raise SystemExit(f"{path}: {entry['name']} is listed twice")
        by_name[entry["name"]] = entry
    return by_name


def summarise(
    mutants: list[Mutant], modules: list[str], equivalents: dict[str, dict]
) -> tuple[list[ModuleResult], list[str]]:
    """Per-module figures, and the problems with the equivalence list (stale or wrong)."""
    problems = []
    results = []
    for module in modules:
        own = [mutant for mutant in mutants if mutant.module == module]
        statuses = Counter(mutant.status for mutant in own)
        undetected, equivalent = [], []
        for mutant in own:
            entry = equivalents.get(mutant.name)
            if entry and entry["change"].strip() != mutant.change:
                problems.append(
                    f"{mutant.name}: declared equivalent for `{entry['change']}` but the mutant "
                    f"is now `{mutant.change}` (the function changed): re-check it"
                )
                entry = None
            if mutant.status in UNDETECTED:
                if entry:
                    mutant.kind = entry.get("kind", "equivalent")
                (equivalent if entry else undetected).append(mutant)
            elif entry and mutant.status == "killed":
                problems.append(
                    f"{mutant.name}: declared equivalent, yet a test kills it: "
                    "remove it from the list"
                )
        killed = sum(statuses[status] for status in KILLED)
        results.append(ModuleResult(module, len(own), killed, undetected, equivalent, statuses))
        other = set(statuses) - KILLED - UNDETECTED
        if other:
            problems.append(f"{module}: mutants left {', '.join(sorted(other))} by mutmut")
    prefix = tuple(f"{PACKAGE}.{module}." for module in modules)
    seen = {mutant.name for mutant in mutants}
    for name in equivalents:
        if name.startswith(prefix) and name not in seen:
            problems.append(f"{name}: declared equivalent but no such mutant any more")
    return results, problems


def report(results: list[ModuleResult], seconds: float, threshold: float) -> tuple[str, bool]:
    """The report text, and whether every rate is within the threshold."""
    header = (
        f"{'module':<15}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv.':>8}"
        f"{'raw %':>8}{'after equiv. %':>16}"
    )
    lines = ["Mutation testing (mutmut) of segmentation's decision modules", "", header]
    total = ModuleResult("overall", 0, 0, [], [], Counter())
    ok = True
    for result in [*results, None]:
        if result is None:
            if len(results) < 2:
                break
            result = total
        else:
            total.total += result.total
            total.killed += result.killed
            total.undetected += result.undetected
            total.equivalent += result.equivalent
        over = result.rate > threshold
        ok = ok and not over
        lines.append(
            f"{result.module:<15}{result.total:>8}{result.killed:>8}"
            f"{len(result.undetected) + len(result.equivalent):>9}{len(result.equivalent):>8}"
            f"{result.raw_rate:>8.1f}{result.rate:>16.1f}{'  above ' if over else ''}"
            + (f"{threshold:g}%" if over else "")
        )
    unspecified = sum(m.kind == "unspecified" for r in results for m in r.equivalent)
    uncertain = Counter()
    for result in results:
        uncertain.update({s: n for s, n in result.statuses.items() if s in KILLED - {"killed"}})
    if uncertain:
        counted = ", ".join(f"{n} {status}" for status, n in sorted(uncertain.items()))
        lines += ["", f"counted as killed: {counted} (see the log)"]
    lines += [
        "",
        "survived: mutants no selected test notices (mutmut's survived, no tests and suspicious);",
        "equiv.: those of them listed in mutation/equivalent_mutants.toml, with the reason: "
        "they cannot change behaviour,",
        "or (kind unspecified) they change only what no specification fixes"
        + (f" ({unspecified} of them)" if unspecified else "")
        + ";",
        "raw % = survived / mutants; after equiv. % = (survived - equiv.) / (mutants - equiv.).",
        f"threshold: {threshold:g}% after equivalents, per module and overall. "
        f"mutmut ran {seconds:.0f} s.",
        "",
    ]
    survivors = [mutant for result in results for mutant in result.undetected]
    lines.append(f"Surviving mutants ({len(survivors)}):" if survivors else "No surviving mutant.")
    for mutant in survivors:
        lines.append(f"  {mutant.name} ({mutant.status})")
        lines.extend(f"      {line}" for line in mutant.diff)
    return "\n".join(lines) + "\n", ok


def parse_modules(text: str) -> list[str]:
    modules = [name.strip() for name in text.split(",") if name.strip()] or list(MODULES)
    unknown = [name for name in modules if name not in MODULES]
    if unknown:
        raise SystemExit(
            f"make mutation: unknown module(s) {', '.join(unknown)} in MUTATE; "
            f"choose among {', '.join(MODULES)}"
        )
    return list(dict.fromkeys(modules))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", default="", help="comma-separated; default: all seven")
    parser.add_argument("--threshold", type=float, default=10.0, help="percent (default 10)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--max-children", type=int, default=None, help="default: CPU count")
    args = parser.parse_args(argv)
    modules = parse_modules(args.modules)
    equivalents = load_equivalents()
    folder = prepare_work_dir(args.work_dir)
    seconds = run_mutmut(folder, modules, args.max_children)
    results, problems = summarise(read_mutants(folder.path, modules), modules, equivalents)
    text, ok = report(results, seconds, args.threshold)
    if problems:
        text += "\nProblems with mutation/equivalent_mutants.toml:\n" + "".join(
            f"  - {problem}\n" for problem in problems
        )
    print(text, end="")
    print(f"(also in {folder.write_text('report.txt', text)})")
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
