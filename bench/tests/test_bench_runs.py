"""The benchmark's sizes and when it runs the peer notebook."""

from __future__ import annotations

import pytest

from bench import inputs, runs


def test_sizes_accept_plain_and_abbreviated_counts():
    assert inputs.parse_sizes("10000") == [10_000]
    assert inputs.parse_sizes("1M, 10k,100_000,1e5") == [10_000, 100_000, 1_000_000]
    for bad in ("", "ten", "0", "1.5"):
        with pytest.raises(ValueError):
            inputs.parse_sizes(bad)


def test_peer_is_skipped_where_the_estimate_exceeds_the_limit():
    assert runs.peer_skip_reason([], 10_000) is None
    # 20 s at 100k -> about 317 s at 1M (exponent 1.2): runs.
    assert runs.peer_skip_reason([(10_000, 2.0), (100_000, 20.0)], 1_000_000) is None
    # 300 s at 1M -> about 79 min at 10M: skipped, and the reason says why.
    reason = runs.peer_skip_reason([(100_000, 20.0), (1_000_000, 300.0)], 10_000_000)
    assert reason and "estimated" in reason and "1,000,000" in reason
    # Only smaller sizes count; a size the peer could not do rules out the larger ones.
    assert runs.peer_skip_reason([(10_000_000, 5000.0)], 1_000_000) is None
    assert "did not finish" in runs.peer_skip_reason([(100_000, None)], 1_000_000)
    assert runs.estimate_seconds(1000, 10.0, 2000, exponent=1.0) == pytest.approx(20.0)
