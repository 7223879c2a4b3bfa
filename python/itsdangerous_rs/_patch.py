"""``patch()``: every itsdangerous user in the process gets the Rust engine.

The six signer and serializer classes are replaced by ours (subclasses of
the stock ones, byte-identical) wherever itsdangerous and its submodules
expose them, so code that looks them up there (``itsdangerous.X`` at call
time, or ``from itsdangerous import X`` after ``patch()``) builds ours.

A module that ran ``from itsdangerous import X`` *before* ``patch()`` holds
stock's class under its own name; ``patch()`` also swaps that name in the
libraries listed in ``KNOWN_IMPORTERS`` when they are already imported, and
leaves every other module alone. To cover everything, patch before the
app's imports: ``ITSDANGEROUS_RS_PATCH=1`` (read at interpreter start by the
``itsdangerous_rs_patch.pth`` file the package installs) or a
``sitecustomize`` that calls ``itsdangerous_rs.patch()``.

``unpatch()`` puts back exactly the objects ``patch()`` replaced.
"""

from __future__ import annotations

import importlib
import sys
import threading
import typing as t

CLASS_NAMES = (
    "Signer",
    "TimestampSigner",
    "Serializer",
    "TimedSerializer",
    "URLSafeSerializer",
    "URLSafeTimedSerializer",
)
ITSDANGEROUS_MODULES = (
    "itsdangerous",
    "itsdangerous.signer",
    "itsdangerous.timed",
    "itsdangerous.serializer",
    "itsdangerous.url_safe",
)
#: Libraries that bind a class with ``from itsdangerous import X`` at import:
#: swapped too if they are imported before ``patch()``.
KNOWN_IMPORTERS: dict[str, tuple[str, ...]] = {
    "flask.sessions": ("URLSafeTimedSerializer",),
    "flask_wtf.csrf": ("URLSafeTimedSerializer",),
}

_lock = threading.Lock()
#: (module, attribute name) -> the object patch() replaced; empty when unpatched.
_replaced: dict[tuple[t.Any, str], t.Any] = {}


def _ours() -> dict[str, type]:
    import itsdangerous_rs

    return {name: getattr(itsdangerous_rs, name) for name in CLASS_NAMES}


def _swap(module: t.Any, name: str, new: t.Any) -> None:
    key = (module, name)
    if key not in _replaced:
        _replaced[key] = getattr(module, name)
    setattr(module, name, new)


def patch() -> None:
    """Serve every itsdangerous user with the Rust engine (idempotent)."""
    ours = _ours()
    # Each of ours subclasses stock's class first: that is the one to replace.
    stock_ids = {id(cls.__mro__[1]): name for name, cls in ours.items()}
    with _lock:
        for module_name in ITSDANGEROUS_MODULES:
            module = importlib.import_module(module_name)
            for name in CLASS_NAMES:
                current = module.__dict__.get(name)
                # Only stock's own class: anything else was put there by someone else.
                if current is not None and stock_ids.get(id(current)) == name:
                    _swap(module, name, ours[name])
        for module_name, names in KNOWN_IMPORTERS.items():
            module = sys.modules.get(module_name)
            if module is None:
                continue
            for name in names:
                current = module.__dict__.get(name)
                if current is not None and stock_ids.get(id(current)) == name:
                    _swap(module, name, ours[name])


def unpatch() -> None:
    """Put back exactly what ``patch()`` replaced (a no-op when not patched)."""
    with _lock:
        for (module, name), original in reversed(list(_replaced.items())):
            setattr(module, name, original)
        _replaced.clear()


def is_patched() -> bool:
    return bool(_replaced)
