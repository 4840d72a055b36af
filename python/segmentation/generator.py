"""Synthetic user-profile exports, with or without planted personas.

The output imitates the platform's export (`schema.EXPORT_COLUMNS`, its vocabularies, ranges and
number formats). Shapes (``--shape``, or the older ``--personas``):

- ``planted`` (``personas="default"``): every user belongs to one of five planted groups that
  the project's default clustering recovers;
- ``export-like`` (``personas="export-like"``): every column is independent, each categorical
  column drawn with the real export's shares (`EXPORT_CATEGORY_COUNTS`) and each number uniform
  on the export's range and grid: the real export's shape, at any size;
- ``personas="none"``: every column independent and uniform (categories in equal shares).

Chunks are drawn with numpy only (no per-row Python), so a hundred million users stream to CSV
or Parquet in bounded memory (it depends on ``chunk_size``, not on the number of users).

    python -m segmentation.generator --users 1000000 --out /tmp/users.csv --truth /tmp/truth.csv
    python -m segmentation.generator --users 1000000 --out /tmp/users.parquet --shape export-like

``--results FILE`` also writes a campaign's synthetic results for the same users, with a planted
conversion lift per persona (`segmentation.campaign_generator`):

    python -m segmentation.generator --users 1000 --out users.csv --results results.csv \
        --campaigns demo_launch,spring_sale
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from segmentation import campaign_generator
from segmentation.schema import EXPORT_COLUMNS, INTERESTS, RANGES, STAGING_NAMES, VOCABULARIES

# Favourite interests are this many times likelier to be picked than the others.
FAVOURITE_INTEREST_BOOST = 6.0
MAX_INTERESTS = 4
# Rows rendered to CSV text at a time (bounds the text buffers, whatever the chunk size).
CSV_RENDER_ROWS = 100_000


@dataclass(frozen=True)
class Persona:
    """A planted group of users. Columns it leaves out are drawn uniformly.

    Keys are staging names (`schema.STAGING_NAMES` values).
    - ``categories``: column -> (favourite value, its share); the rest is spread evenly.
    - ``numbers``: column -> (mean, standard deviation) of a normal, clipped to `schema.RANGES`.
    - ``interests``: favourite interests; ``interest_counts``: P(1..4 interests).
    - ``marginals``: column -> share of each value of its vocabulary, in vocabulary order, for
      the columns it draws with given shares rather than a favourite (or uniformly).
    """

    name: str
    weight: float
    categories: dict[str, tuple[str, float]] = field(default_factory=dict)
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    interests: tuple[str, ...] = ()
    interest_counts: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)
    marginals: dict[str, tuple[float, ...]] = field(default_factory=dict)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="Weekend Warriors",
        weight=0.24,
        categories={
            "age_band": ("18-24", 0.88),
            "gender": ("Male", 0.85),
            "income_band": ("40k-60k", 0.88),
            "location": ("Suburban", 0.6),
            "language": ("English", 0.5),
            "education_level": ("Bachelor", 0.5),
            "device_usage": ("Mobile Only", 0.6),
        },
        numbers={
            "weekday_hours_online": (1.2, 0.3),
            "weekend_hours_online": (7.0, 0.45),
            "likes_and_reactions": (4500, 700),
            "click_through_rate": (0.11, 0.015),
            "conversion_rate": (0.04, 0.01),
            "ad_interaction_seconds": (60, 15),
            "followed_accounts": (300, 50),
        },
        interests=("Travel and Adventure", "Fitness and Wellness", "Gaming", "Photography"),
        interest_counts=(0.15, 0.3, 0.3, 0.25),
    ),
    Persona(
        name="Engaged Professionals",
        weight=0.22,
        categories={
            "age_band": ("35-44", 0.88),
            "gender": ("Female", 0.85),
            "income_band": ("100k+", 0.88),
            "location": ("Urban", 0.65),
            "language": ("English", 0.55),
            "education_level": ("Master", 0.55),
            "device_usage": ("Mobile + Desktop", 0.6),
        },
        numbers={
            "weekday_hours_online": (2.8, 0.3),
            "weekend_hours_online": (3.2, 0.45),
            "likes_and_reactions": (8500, 600),
            "click_through_rate": (0.17, 0.015),
            "conversion_rate": (0.07, 0.01),
            "ad_interaction_seconds": (120, 20),
            "followed_accounts": (420, 40),
        },
        interests=(
            "Investing and Finance",
            "Digital Marketing",
            "Data Science",
            "Gourmet Cooking",
        ),
        interest_counts=(0.1, 0.25, 0.35, 0.3),
    ),
    Persona(
        name="Low-Key Users",
        weight=0.20,
        categories={
            "age_band": ("55-64", 0.88),
            "gender": ("Male", 0.85),
            "income_band": ("60k-80k", 0.88),
            "location": ("Rural", 0.6),
            "language": ("Mandarin", 0.5),
            "education_level": ("High School", 0.5),
            "device_usage": ("Desktop Only", 0.6),
        },
        numbers={
            "weekday_hours_online": (0.9, 0.25),
            "weekend_hours_online": (1.8, 0.4),
            "likes_and_reactions": (1200, 400),
            "click_through_rate": (0.03, 0.012),
            "conversion_rate": (0.015, 0.008),
            "ad_interaction_seconds": (25, 10),
            "followed_accounts": (70, 25),
        },
        interests=("Gardening", "Reading and Literature", "Pet Care", "DIY Crafts"),
        interest_counts=(0.45, 0.3, 0.15, 0.1),
    ),
    Persona(
        name="Active Explorers",
        weight=0.19,
        categories={
            "age_band": ("25-34", 0.88),
            "gender": ("Female", 0.85),
            "income_band": ("80k-100k", 0.88),
            "location": ("Urban", 0.55),
            "language": ("Hindi", 0.5),
            "education_level": ("PhD", 0.45),
            "device_usage": ("Mobile Only", 0.55),
        },
        numbers={
            "weekday_hours_online": (4.4, 0.3),
            "weekend_hours_online": (4.8, 0.45),
            "likes_and_reactions": (6000, 700),
            "click_through_rate": (0.22, 0.012),
            "conversion_rate": (0.08, 0.01),
            "ad_interaction_seconds": (150, 15),
            "followed_accounts": (350, 50),
        },
        interests=(
            "Software Engineering",
            "Data Science",
            "Travel and Adventure",
            "Music Production",
            "Photography",
        ),
        interest_counts=(0.05, 0.2, 0.35, 0.4),
    ),
    Persona(
        name="Budget Browsers",
        weight=0.15,
        categories={
            "age_band": ("45-54", 0.88),
            "gender": ("Male", 0.85),
            "income_band": ("0-20k", 0.88),
            "location": ("Suburban", 0.55),
            "language": ("Spanish", 0.55),
            "education_level": ("Technical", 0.5),
            "device_usage": ("Tablet", 0.6),
        },
        numbers={
            "weekday_hours_online": (2.8, 0.3),
            "weekend_hours_online": (4.5, 0.45),
            "likes_and_reactions": (2800, 500),
            "click_through_rate": (0.06, 0.012),
            "conversion_rate": (0.02, 0.008),
            "ad_interaction_seconds": (45, 12),
            "followed_accounts": (180, 40),
        },
        interests=("DIY Crafts", "Eco-Friendly Living", "Gourmet Cooking", "Fashion Modelling"),
        interest_counts=(0.25, 0.3, 0.25, 0.2),
    ),
)

# No personas: one group whose every column is uniform.
STRUCTURELESS: tuple[Persona, ...] = (Persona(name="none", weight=1.0),)

# Category counts of the real export (../shared/data/user_profiles_for_ads.csv, 1,000 users),
# counted once by hand (pandas value_counts) for issue 16; the project never copies that file.
# tests/python/test_generator.py checks these against the file where it is present. Its numbers
# are uniform on the ranges and grids of `schema.RANGES` (what every shape draws where it has no
# persona), and it has no structure: its columns are independent.
EXPORT_CATEGORY_COUNTS: dict[str, dict[str, int]] = {
    "age_band": {"25-34": 255, "35-44": 192, "45-54": 188, "18-24": 166, "55-64": 153, "65+": 46},
    "gender": {"Female": 506, "Male": 494},
    "income_band": {
        "100k+": 176,
        "40k-60k": 175,
        "60k-80k": 168,
        "80k-100k": 168,
        "20k-40k": 165,
        "0-20k": 148,
    },
    "location": {"Urban": 350, "Suburban": 332, "Rural": 318},
    "language": {"English": 258, "Spanish": 251, "Mandarin": 250, "Hindi": 241},
    "education_level": {
        "Technical": 211,
        "Master": 209,
        "High School": 205,
        "Bachelor": 189,
        "PhD": 186,
    },
    "device_usage": {
        "Desktop Only": 262,
        "Mobile Only": 253,
        "Mobile + Desktop": 250,
        "Tablet": 235,
    },
}


def export_marginals() -> dict[str, tuple[float, ...]]:
    """`EXPORT_CATEGORY_COUNTS` as shares in vocabulary order (a value it lacks has share 0)."""
    shares = {}
    for column, counts in EXPORT_CATEGORY_COUNTS.items():
        total = sum(counts.values())
        shares[column] = tuple(counts.get(value, 0) / total for value in VOCABULARIES[column])
    return shares


# The real export's shape: one group, independent columns, the export's category shares.
EXPORT_LIKE: tuple[Persona, ...] = (Persona(name="none", weight=1.0, marginals=export_marginals()),)

# Shape names (the benchmark's and `--shape`'s) -> the personas preset they draw.
SHAPES: dict[str, str] = {"planted": "default", "export-like": "export-like"}

_TRUTH_HEADER = ("user_id", "persona_name")


def export_schema() -> pa.Schema:
    """Arrow schema of the export: strings, integers, and floats where `RANGES` has decimals."""
    fields = []
    for export_name in EXPORT_COLUMNS:
        column = STAGING_NAMES[export_name]
        if column in RANGES:
            kind = pa.int64() if RANGES[column][2] == 0 else pa.float64()
        else:
            kind = pa.int64() if column == "user_id" else pa.string()
        fields.append(pa.field(export_name, kind))
    return pa.schema(fields)


def resolve_personas(personas: str | Sequence[Persona]) -> tuple[Persona, ...]:
    """Map ``"default"`` / ``"export-like"`` / ``"none"`` (or a shape name of `SHAPES`) to
    persona tuples; pass a sequence of `Persona` through."""
    if isinstance(personas, str):
        personas = SHAPES.get(personas, personas)
        presets = {"default": PERSONAS, "export-like": EXPORT_LIKE, "none": STRUCTURELESS}
        if personas not in presets:
            raise ValueError(f"personas must be one of {sorted(presets)}, got {personas!r}")
        return presets[personas]
    return tuple(personas)


def _pick(rng: np.random.Generator, probabilities: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index drawn per row from the row's group's distribution (rows of ``probabilities``)."""
    cumulative = np.cumsum(probabilities, axis=1)[group, :-1]
    return (rng.random(len(group))[:, None] >= cumulative).sum(axis=1)


def _category_probabilities(personas: Sequence[Persona], column: str) -> np.ndarray:
    vocabulary = VOCABULARIES[column]
    size = len(vocabulary)
    rows = np.full((len(personas), size), 1.0 / size)
    for row, persona in zip(rows, personas, strict=True):
        if column in persona.marginals:
            row[:] = persona.marginals[column]
        elif column in persona.categories:
            favourite, share = persona.categories[column]
            row[:] = (1.0 - share) / (size - 1)
            row[vocabulary.index(favourite)] = share
    return rows


def _draw_number(
    rng: np.random.Generator, personas: Sequence[Persona], column: str, group: np.ndarray
) -> np.ndarray:
    """Normal per persona (uniform where it has none), clipped and rounded to the export's grid."""
    low, high, decimals = RANGES[column]
    half_step = 0.5 * 10.0**-decimals
    specs = [persona.numbers.get(column, (np.nan, np.nan)) for persona in personas]
    mean, sd = (np.array(values, dtype=float)[group] for values in zip(*specs, strict=True))
    normal = mean + sd * rng.standard_normal(len(group))
    uniform = rng.uniform(low - half_step, high + half_step, len(group))
    values = np.round(np.clip(np.where(np.isnan(mean), uniform, normal), low, high), decimals)
    return values.astype(np.int64) if decimals == 0 else values


@functools.cache
def _interest_labels() -> pa.Array:
    """Label of every ordered pick of 1..4 distinct interests, indexed by its base-17 code."""
    base = len(INTERESTS) + 1
    labels = [""] * base**MAX_INTERESTS
    for count in range(1, MAX_INTERESTS + 1):
        for pick in itertools.permutations(range(len(INTERESTS)), count):
            code = sum((index + 1) * base**place for place, index in enumerate(pick))
            labels[code] = ", ".join(INTERESTS[index] for index in pick)
    return pa.array(labels, pa.string())


def _draw_interests(
    rng: np.random.Generator, personas: Sequence[Persona], group: np.ndarray
) -> pa.Array:
    """1..4 distinct interests per row, favourites first more often (weighted, no replacement)."""
    weights = np.array(
        [
            [FAVOURITE_INTEREST_BOOST if name in persona.interests else 1.0 for name in INTERESTS]
            for persona in personas
        ],
        dtype=np.float32,
    )
    counts = 1 + _pick(rng, np.array([p.interest_counts for p in personas]), group)
    # Sorting exponential / weight keys ascending is a weighted draw without replacement.
    keys = rng.standard_exponential((len(group), len(INTERESTS)), dtype=np.float32)
    keys /= weights[group]
    order = np.argsort(keys, axis=1)[:, :MAX_INTERESTS].astype(np.int32)
    del keys
    places = np.arange(MAX_INTERESTS, dtype=np.int32)
    digits = np.where(places < counts[:, None], order + 1, 0)
    codes = digits @ (len(INTERESTS) + 1) ** places
    return _interest_labels().take(pa.array(codes))


def generate_chunk(
    rng: np.random.Generator,
    n: int,
    start_id: int = 1,
    personas: str | Sequence[Persona] = "default",
) -> tuple[pa.Table, np.ndarray]:
    """Draw ``n`` users with ids ``start_id..start_id+n-1``.

    Returns the export columns (headers and order of `schema.EXPORT_COLUMNS`) and each row's
    planted persona as an index into the resolved personas.
    """
    personas = resolve_personas(personas)
    weights = np.array([persona.weight for persona in personas], dtype=float)
    group = rng.choice(len(personas), size=n, p=weights / weights.sum())
    columns: dict[str, pa.Array] = {}
    for export_name in EXPORT_COLUMNS:
        column = STAGING_NAMES[export_name]
        if column == "user_id":
            values = pa.array(np.arange(start_id, start_id + n, dtype=np.int64))
        elif column == "top_interests":
            values = _draw_interests(rng, personas, group)
        elif column in VOCABULARIES:
            index = _pick(rng, _category_probabilities(personas, column), group)
            values = pa.array(VOCABULARIES[column], pa.string()).take(pa.array(index))
        else:
            values = pa.array(_draw_number(rng, personas, column, group))
        columns[export_name] = values
    return pa.table(columns, schema=export_schema()), group


def iter_chunks(
    n_users: int,
    seed: int = 42,
    personas: str | Sequence[Persona] = "default",
    chunk_size: int = 500_000,
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Yield (export chunk, truth chunk) pairs covering users 1..n_users, in order."""
    if n_users < 0 or chunk_size < 1:
        raise ValueError("n_users must be >= 0 and chunk_size >= 1")
    resolved = resolve_personas(personas)
    names = pa.array([persona.name for persona in resolved], pa.string())
    rng = np.random.default_rng(seed)
    for start in range(0, n_users, chunk_size):
        table, group = generate_chunk(rng, min(chunk_size, n_users - start), start + 1, resolved)
        truth = pa.table(
            {_TRUTH_HEADER[0]: table["User ID"], _TRUTH_HEADER[1]: names.take(pa.array(group))}
        )
        yield table, truth


def generate(
    n_users: int,
    seed: int = 42,
    personas: str | Sequence[Persona] = "default",
    chunk_size: int = 500_000,
) -> tuple[pd.DataFrame, pd.Series]:
    """In-memory export and planted persona names (a Series aligned with it); for small n."""
    chunks = list(iter_chunks(n_users, seed, personas, chunk_size))
    export = pa.Table.from_batches(
        [batch for table, _ in chunks for batch in table.to_batches()], export_schema()
    )
    names = [name for _, truth in chunks for name in truth.column(_TRUTH_HEADER[1]).to_pylist()]
    return export.to_pandas(), pd.Series(names, name=_TRUTH_HEADER[1], dtype="str")


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _csv_field(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Values as CSV text: shortest number form, strings quoted only when they must be."""
    text = pc.cast(values, pa.large_string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return text
    needs_quotes = pc.match_substring_regex(text, '[",\r\n]')
    if not pc.any(needs_quotes).as_py():
        return text
    escaped = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise(_text('"'), escaped, _text('"'), _text(""))
    return pc.if_else(needs_quotes, quoted, text)


def _csv_bytes(table: pa.Table | pa.RecordBatch) -> pa.Buffer:
    """The table's rows as CSV lines (LF ends, no header), as one buffer."""
    rows = pc.binary_join_element_wise(*map(_csv_field, table.columns), _text(","))
    lines = pc.binary_join_element_wise(rows, _text(""), _text("\n"))
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    whole = pc.binary_join(pa.LargeListArray.from_arrays([0, len(lines)], lines), _text(""))
    return whole[0].as_buffer()


def write(
    n_users: int,
    path: str | Path,
    seed: int = 42,
    personas: str | Sequence[Persona] = "default",
    truth_path: str | Path | None = None,
    chunk_size: int = 500_000,
    fmt: str | None = None,
    results_path: str | Path | None = None,
    campaign_keys: Sequence[str] = campaign_generator.DEFAULT_CAMPAIGNS,
    control_share: float = campaign_generator.DEFAULT_CONTROL_SHARE,
) -> Path:
    """Stream ``n_users`` to ``path`` (``.csv`` or ``.parquet``, or ``fmt``) chunk by chunk.

    The planted persona of each user goes to ``truth_path`` (CSV ``user_id,persona_name``) if
    given, never into the export. Memory depends on ``chunk_size``, not on ``n_users``, except
    with ``results_path``: then each user's persona is kept to draw the results of
    ``campaign_keys`` (`campaign_generator.campaign_results`, same seed) for those same users.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r} (from {path})")
    with contextlib.ExitStack() as stack:
        truth_file = stack.enter_context(open(truth_path, "wb")) if truth_path else None
        if truth_file:
            truth_file.write((",".join(_TRUTH_HEADER) + "\n").encode())
        if fmt == "csv":
            out = stack.enter_context(open(path, "wb"))
            out.write((",".join(EXPORT_COLUMNS) + "\n").encode())
        else:
            out = stack.enter_context(pq.ParquetWriter(path, export_schema()))
        truths = []
        for table, truth in iter_chunks(n_users, seed, personas, chunk_size):
            if results_path:
                truths.append(truth)
            if fmt == "csv":
                for batch in table.to_batches(max_chunksize=CSV_RENDER_ROWS):
                    out.write(_csv_bytes(batch))
            else:
                out.write_table(table)
            if truth_file:
                truth_file.write(_csv_bytes(truth))
    if results_path:
        truth = pa.Table.from_batches(
            [batch for chunk in truths for batch in chunk.to_batches()],
            pa.schema([(_TRUTH_HEADER[0], pa.int64()), (_TRUTH_HEADER[1], pa.string())]),
        ).to_pandas()
        results = campaign_generator.campaign_results(
            truth, campaign_keys, control_share=control_share, seed=seed
        )
        campaign_generator.write_campaign_results(results, results_path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m segmentation.generator --users N --out PATH``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True, help="number of users")
    parser.add_argument("--out", required=True, help="output path, .csv or .parquet")
    parser.add_argument("--seed", type=int, default=42)
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--shape",
        choices=tuple(SHAPES),
        help="planted (five planted personas, as --personas default) or export-like "
        "(independent columns with the real export's shares)",
    )
    shape.add_argument(
        "--personas",
        choices=("default", "export-like", "none"),
        help="the older spelling: default (planted), export-like, none (all uniform)",
    )
    parser.add_argument("--truth", help="CSV for the planted persona of each user")
    parser.add_argument("--chunk-size", type=int, default=500_000)
    parser.add_argument("--format", choices=("csv", "parquet"), help="overrides the extension")
    parser.add_argument(
        "--results",
        help="also write synthetic campaign results for these users (.csv or .parquet), with a "
        "planted conversion lift per persona",
    )
    parser.add_argument(
        "--campaigns",
        default=",".join(campaign_generator.DEFAULT_CAMPAIGNS),
        help="comma-separated campaign keys of --results (default: %(default)s)",
    )
    parser.add_argument(
        "--control-share",
        type=float,
        default=campaign_generator.DEFAULT_CONTROL_SHARE,
        help="the holdout control share of --results, as var holdout_control_share "
        "(default: %(default)s)",
    )
    args = parser.parse_args(argv)
    campaign_keys = [key.strip() for key in args.campaigns.split(",") if key.strip()]
    write(
        args.users,
        args.out,
        seed=args.seed,
        personas=SHAPES[args.shape] if args.shape else args.personas or "default",
        truth_path=args.truth,
        chunk_size=args.chunk_size,
        fmt=args.format,
        results_path=args.results,
        campaign_keys=campaign_keys,
        control_share=args.control_share,
    )


if __name__ == "__main__":
    main()
