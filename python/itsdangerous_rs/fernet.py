"""Fernet with the API of :mod:`cryptography.fernet`, in Rust.

``Fernet``, ``MultiFernet`` and ``InvalidToken`` behave as cryptography's
(same tokens for the same key, IV and time; same argument errors) and each
side decrypts the other's tokens. ``cryptography`` is not needed; when it is
installed, ``InvalidToken`` subclasses its ``InvalidToken``, so existing
``except cryptography.fernet.InvalidToken`` clauses catch ours too.
"""

from __future__ import annotations

from . import _core

__all__ = ["Fernet", "InvalidToken", "MultiFernet"]

try:
    from cryptography.fernet import InvalidToken as _CryptographyInvalidToken
except ImportError:  # cryptography is optional
    _base: type[Exception] = Exception
else:
    _base = _CryptographyInvalidToken


class InvalidToken(_base):  # type: ignore[valid-type,misc]
    """A token that is malformed, expired, or not made with any of the keys."""


InvalidToken.__module__ = __name__
_core.register_invalid_token(InvalidToken)

Fernet = _core.Fernet
MultiFernet = _core.MultiFernet
