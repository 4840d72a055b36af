"""The benchmark's inputs: the sizes asked for, and each size's generated export."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from segmentation import generator


def parse_sizes(text: str) -> list[int]:
    """'10000,1e5,100k,1M,10_000_000' -> the distinct sizes, smallest first."""
    sizes = set()
    for token in re.split(r"[,\s]+", text.strip()):
        if not token:
            continue
        match = re.fullmatch(r"([0-9_]+(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)", token)
        if not match:
            raise ValueError(f"not a size: {token!r}")
        number = float(match.group(1).replace("_", ""))
        number *= {"": 1, "k": 1e3, "m": 1e6}[match.group(2).lower()]
        if number < 1 or number != int(number):
            raise ValueError(f"not a whole number of users: {token!r}")
        sizes.add(int(number))
    if not sizes:
        raise ValueError("no sizes given")
    return sorted(sizes)


def ensure_input(inputs_dir: Path, users: int, seed: int, personas: str, fmt: str) -> dict:
    """The generated export for (users, seed, personas) in `fmt`, generated only if absent."""
    path = inputs_dir / f"users_{users}_seed{seed}_{personas}.{fmt}"
    info: dict[str, Any] = {"path": str(path), "cached": path.exists()}
    if not path.exists():
        inputs_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        started = time.perf_counter()
        generator.write(users, partial, seed=seed, personas=personas, fmt=fmt)
        os.replace(partial, path)  # only a complete file is ever cached
        info["generated_seconds"] = time.perf_counter() - started
    info["bytes"] = path.stat().st_size
    return info
