"""The inputs `make test-spark` builds on both engines: the demo seed, and a planted file written
here. The file is 10,000 generated users followed by one row of each kind staging must handle,
so that the comparison covers the quarantine and the duplicate rule, not only clean rows. With a
second path, the same users' campaign results (one campaign, demo_launch) from the generator,
followed likewise by one results row of each kind their staging must handle.

Command line (the Makefile's): ``python tests/python/spark_inputs.py OUT.csv [RESULTS.csv]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from segmentation.generator import write
from segmentation.schema import EXPORT_COLUMNS

USERS = 10_000
SEED = 15

# One line each, in the export's column order; what staging should make of it after the colon.
PROBLEM_ROWS = (
    # rejected: an age band not in the vocabulary
    "10001,17 or less,Male,Urban,English,Bachelor,500,20,Tablet,2.0,3.0,0.1,0.05,30,0-20k,Gaming",
    # rejected: likes not a number
    "10002,25-34,Female,Rural,Hindi,PhD,many,20,Tablet,2.0,3.0,0.1,0.05,30,0-20k,Gaming",
    # rejected: click-through rate above 1
    "10003,25-34,Female,Rural,Hindi,PhD,500,20,Tablet,2.0,3.0,1.7,0.05,30,0-20k,Gaming",
    # rejected: no user id
    ",35-44,Male,Urban,Spanish,Master,500,20,Mobile Only,2.0,3.0,0.1,0.05,30,20k-40k,Pet Care",
    # rejected as a duplicate of user 17, which comes first and passes every check
    "17,45-54,Female,Suburban,English,Master,800,40,Tablet,1.0,2.0,0.2,0.02,60,40k-60k,Gaming",
    # rejected: the header repeated (files concatenated with their headers)
    ",".join(EXPORT_COLUMNS),
    # rejected: a short row, padded with blanks
    "10004,25-34,Female,Rural",
    # valid: a quoted field holding the delimiter and a line break
    "10005,55-64,Male,Urban,English,Master,900,50,Tablet,3.0,4.0,0.2,0.05,45,60k-80k,"
    '"Gaming, Pet\nCare"',
    # valid: blanks around values are trimmed
    "10006, 18-24 ,Female,Urban,English,Bachelor,100,10,Mobile Only,1.0,1.0,0.01,0.01,5,"
    "0-20k,Photography",
)


# Campaign results rows, in the results' column order, appended to the generated results.
RESULTS_PROBLEM_ROWS = (
    # rejected: a second row for user 17 in demo_launch (the generated one comes first)
    "17,demo_launch,true,false,false,0",
    # rejected: no user id
    ",demo_launch,true,false,false,0",
    # rejected: exposed is not true/false/1/0
    "10001,demo_launch,yes,false,false,0",
    # rejected: a click without an exposure
    "10002,demo_launch,false,true,false,0",
    # rejected: negative revenue
    "10003,demo_launch,true,false,true,-2",
    # rejected: a short row, padded with blanks
    "10004,demo_launch",
    # valid: spaces trimmed, the key lowercased, any case of true, a blank revenue
    "10005, Demo_Launch ,TRUE,1,0,",
)


def write_planted(path: Path, results_path: Path | None = None) -> Path:
    """USERS generated users with planted personas, then PROBLEM_ROWS; with ``results_path``,
    their campaign results, then RESULTS_PROBLEM_ROWS."""
    write(USERS, path, seed=SEED, results_path=results_path)
    with open(path, "a", encoding="utf-8", newline="") as out:
        out.write("\n".join(PROBLEM_ROWS) + "\n")
    if results_path:
        with open(results_path, "a", encoding="utf-8", newline="") as out:
            out.write("\n".join(RESULTS_PROBLEM_ROWS) + "\n")
    return path


if __name__ == "__main__":
    write_planted(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
