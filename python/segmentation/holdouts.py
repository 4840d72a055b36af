"""Holdout arms: which audience members of a campaign are held back as its control group.

The arm of a user in a campaign is a function of the pair alone: the MD5 of
``<campaign_key>:<user_id>#0`` read as a share in [0, 1) (its first 60 bits over 2^60, as the
SQL macro ``md5_share`` computes it), and ``control`` when that share is below the control
share. MD5 is the same function on every engine, unlike each engine's own hash or random
function, so DuckDB, Spark and this module put every user in the same arm, on every run. The
share does not depend on the user's segment, so the control share is the same in every segment
(up to chance).

The generator uses this module to plant a lift in the treatment arm of a synthetic campaign; the
SQL models compute the same arm with the macro ``holdout_arm``, and a test checks they agree.
"""

from __future__ import annotations

import hashlib

ARMS = ("treatment", "control")

# md5_share's seed: fixed, so that no clustering setting (random_seed) can reshuffle the arms.
HOLDOUT_SEED = 0

_SHARE_BITS = 60


def holdout_share(user_id: str, campaign_key: str) -> float:
    """The pair's share in [0, 1): MD5 of ``<campaign_key>:<user_id>#0``, 60 bits over 2^60."""
    digest = hashlib.md5(f"{campaign_key}:{user_id}#{HOLDOUT_SEED}".encode()).hexdigest()
    return int(digest[: _SHARE_BITS // 4], 16) / float(1 << _SHARE_BITS)


def arm(user_id: str, campaign_key: str, control_share: float) -> str:
    """``control`` for the first ``control_share`` of shares, else ``treatment``."""
    if not 0 < control_share < 1:
        raise ValueError(f"control_share must be between 0 and 1 (exclusive), got {control_share}")
    return "control" if holdout_share(user_id, campaign_key) < control_share else "treatment"
