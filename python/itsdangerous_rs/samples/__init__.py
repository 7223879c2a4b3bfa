"""Sample session data shipped with the package.

``small``, ``medium`` and ``large`` are JSON files next to this module (see
``benches/README.md`` for what each holds and how big it is). They are what
``python -m itsdangerous_rs`` checks and times, and what the benchmarks use.
"""

from __future__ import annotations

import json
import typing as t
from importlib import resources

__all__ = ["NAMES", "load", "text"]

NAMES: tuple[str, ...] = ("small", "medium", "large")


def text(name: str) -> str:
    """The sample's JSON file, as text."""
    if name not in NAMES:
        raise ValueError(f"unknown sample {name!r}; expected one of {', '.join(NAMES)}")
    return resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")


def load(name: str) -> dict[str, t.Any]:
    """A fresh copy of the sample session as a dict."""
    return json.loads(text(name))
