"""``itsdangerous.timed``'s public names, with this package's ``TimestampSigner`` and ``TimedSerializer``.

The classes are defined in :mod:`itsdangerous_rs.signer` and
:mod:`itsdangerous_rs.serializer`; this module mirrors stock's layout so code
that imports from ``itsdangerous.timed`` can import from here unchanged.
"""

from __future__ import annotations

from itsdangerous.encoding import base64_decode as base64_decode
from itsdangerous.encoding import base64_encode as base64_encode
from itsdangerous.encoding import bytes_to_int as bytes_to_int
from itsdangerous.encoding import int_to_bytes as int_to_bytes
from itsdangerous.encoding import want_bytes as want_bytes
from itsdangerous.exc import BadSignature as BadSignature
from itsdangerous.exc import BadTimeSignature as BadTimeSignature
from itsdangerous.exc import SignatureExpired as SignatureExpired

from .serializer import Serializer as Serializer
from .serializer import TimedSerializer as TimedSerializer
from .signer import Signer as Signer
from .signer import TimestampSigner as TimestampSigner
