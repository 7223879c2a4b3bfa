"""itsdangerous with its hot paths in Rust.

Every class here subclasses the itsdangerous class of the same name and gives
byte-identical results; configurations the Rust engine does not reproduce
exactly run the stock code. Everything else is itsdangerous's own.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from itsdangerous.encoding import base64_decode as base64_decode
from itsdangerous.encoding import base64_encode as base64_encode
from itsdangerous.encoding import want_bytes as want_bytes
from itsdangerous.exc import BadData as BadData
from itsdangerous.exc import BadHeader as BadHeader
from itsdangerous.exc import BadPayload as BadPayload
from itsdangerous.exc import BadSignature as BadSignature
from itsdangerous.exc import BadTimeSignature as BadTimeSignature
from itsdangerous.exc import SignatureExpired as SignatureExpired
from itsdangerous.signer import HMACAlgorithm as HMACAlgorithm
from itsdangerous.signer import NoneAlgorithm as NoneAlgorithm

from .serializer import Serializer as Serializer
from .serializer import TimedSerializer as TimedSerializer
from .serializer import URLSafeSerializer as URLSafeSerializer
from .serializer import URLSafeTimedSerializer as URLSafeTimedSerializer
from .signer import Signer as Signer
from .signer import TimestampSigner as TimestampSigner

try:
    __version__: str = _metadata.version("itsdangerous-rs")
except _metadata.PackageNotFoundError:  # pragma: no cover - imported from a source tree, not installed
    __version__ = "0+unknown"
del _metadata

__all__ = [
    "BadData",
    "BadHeader",
    "BadPayload",
    "BadSignature",
    "BadTimeSignature",
    "HMACAlgorithm",
    "NoneAlgorithm",
    "Serializer",
    "SignatureExpired",
    "Signer",
    "TimedSerializer",
    "TimestampSigner",
    "URLSafeSerializer",
    "URLSafeTimedSerializer",
    "base64_decode",
    "base64_encode",
    "want_bytes",
]
