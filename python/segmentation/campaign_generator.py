"""Synthetic campaign results with a planted conversion lift per persona.

A campaign's results are one row per user: ``user_id, campaign_key, exposed, clicked,
converted, revenue`` (the input `stg_campaigns__results` reads). Each user's arm is the project's
own (`segmentation.holdouts.arm`), so the rows agree with the holdout arms the SQL models give
the same users:

- ``control``: never exposed, never clicks; converts at the baseline rate;
- ``treatment``: exposed with probability ``reach``; clicks only when exposed (probability
  ``click_rate``); converts at the baseline rate plus ``lift / reach`` when exposed and at the
  baseline rate when not, so that the treatment arm as a whole converts at baseline + lift.

The planted lift of a persona is therefore the intent-to-treat difference of the two arms'
conversion rates, what the lift mart estimates. Revenue is drawn only for conversions (0 for
every other row). Every campaign key draws from its own random stream (the seed and the key), so
many keys in one file are many independent replications of the same campaign: the tests measure
the false-positive rate and the interval coverage over them.

    python -m segmentation.generator --users 1000 --out users.csv --results results.csv \
        --campaigns demo_launch,spring_sale
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.holdouts import arm

# Absolute conversion-rate lift of the treatment arm over the control arm, per planted persona
# (generator.PERSONAS): a real lift in two personas and none in the other three. A persona not
# listed (e.g. the "none" of the export-like shape) gets no lift.
PLANTED_CONVERSION_LIFTS: dict[str, float] = {
    "Weekend Warriors": 0.06,
    "Active Explorers": 0.04,
    "Engaged Professionals": 0.0,
    "Low-Key Users": 0.0,
    "Budget Browsers": 0.0,
}

# The results file's columns, in order (`revenue` is optional for a file a user brings).
RESULT_COLUMNS = ("user_id", "campaign_key", "exposed", "clicked", "converted", "revenue")

DEFAULT_CAMPAIGNS = ("demo_launch",)
DEFAULT_CONTROL_SHARE = 0.10
BASELINE_CONVERSION_RATE = 0.05
REACH = 0.8
CLICK_RATE = 0.12
# Revenue of a conversion: log-normal with this median (currency units) and log-scale spread.
REVENUE_MEDIAN = 40.0
REVENUE_LOG_SD = 0.5


def _key_stream(seed: int, campaign_key: str) -> np.random.Generator:
    """A random stream of its own for each (seed, campaign key): keys draw independently."""
    key_entropy = int.from_bytes(hashlib.md5(campaign_key.encode()).digest()[:8], "little")
    return np.random.default_rng([seed, key_entropy])


def campaign_results(
    truth: pd.DataFrame,
    campaign_keys: Sequence[str] = DEFAULT_CAMPAIGNS,
    control_share: float = DEFAULT_CONTROL_SHARE,
    lifts: Mapping[str, float] = PLANTED_CONVERSION_LIFTS,
    seed: int = 42,
    baseline_conversion_rate: float = BASELINE_CONVERSION_RATE,
    reach: float = REACH,
    click_rate: float = CLICK_RATE,
) -> pd.DataFrame:
    """Results of every user of ``truth`` (columns ``user_id, persona_name``) in each campaign.

    Rows are ordered by campaign key (as given), then by the order of ``truth``. ``revenue`` is
    rounded to cents and 0 where the user did not convert.
    """
    if not 0 < reach <= 1:
        raise ValueError(f"reach must be in (0, 1], got {reach}")
    if len(set(campaign_keys)) != len(campaign_keys):
        raise ValueError(f"campaign keys must be distinct, got {list(campaign_keys)}")
    lift = truth["persona_name"].map(lambda name: lifts.get(name, 0.0)).to_numpy(float)
    exposed_rate = baseline_conversion_rate + lift / reach
    if not 0 <= baseline_conversion_rate <= 1 or ((exposed_rate < 0) | (exposed_rate > 1)).any():
        raise ValueError("baseline_conversion_rate + lift / reach must be in [0, 1] for every user")
    user_ids = truth["user_id"].to_numpy()
    n = len(user_ids)
    frames = []
    for campaign_key in campaign_keys:
        is_treatment = np.array(
            [arm(str(user_id), campaign_key, control_share) == "treatment" for user_id in user_ids],
            dtype=bool,
        )
        rng = _key_stream(seed, campaign_key)
        exposed = is_treatment & (rng.random(n) < reach)
        clicked = exposed & (rng.random(n) < click_rate)
        converted = rng.random(n) < np.where(exposed, exposed_rate, baseline_conversion_rate)
        revenue = np.round(REVENUE_MEDIAN * np.exp(REVENUE_LOG_SD * rng.standard_normal(n)), 2)
        frames.append(
            pd.DataFrame(
                {
                    "user_id": user_ids,
                    "campaign_key": campaign_key,
                    "exposed": exposed,
                    "clicked": clicked,
                    "converted": converted,
                    "revenue": np.where(converted, revenue, 0.0),
                }
            )
        )
    if not frames:
        return pd.DataFrame({column: [] for column in RESULT_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(RESULT_COLUMNS)]


def write_campaign_results(results: pd.DataFrame, path: str | Path) -> Path:
    """Write results to ``.csv`` (booleans as ``true``/``false``, LF line ends) or ``.parquet``."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "parquet":
        results.to_parquet(path, index=False)
    elif fmt == "csv":
        text = results.copy()
        for column in ("exposed", "clicked", "converted"):
            text[column] = np.where(results[column], "true", "false")
        text.to_csv(path, index=False, lineterminator="\n")
    else:
        raise ValueError(f"results format must be csv or parquet, got {fmt!r} (from {path})")
    return path
