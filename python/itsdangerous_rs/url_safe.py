"""``itsdangerous.url_safe``'s public names, with this package's URL-safe serializers.

The classes are defined in :mod:`itsdangerous_rs.serializer`; this module
mirrors stock's layout. ``URLSafeSerializerMixin`` is stock's own (ours
subclass the stock URL-safe classes, which include it).
"""

from __future__ import annotations

from itsdangerous.encoding import base64_decode as base64_decode
from itsdangerous.encoding import base64_encode as base64_encode
from itsdangerous.exc import BadPayload as BadPayload
from itsdangerous.url_safe import URLSafeSerializerMixin as URLSafeSerializerMixin

from .serializer import Serializer as Serializer
from .serializer import TimedSerializer as TimedSerializer
from .serializer import URLSafeSerializer as URLSafeSerializer
from .serializer import URLSafeTimedSerializer as URLSafeTimedSerializer
