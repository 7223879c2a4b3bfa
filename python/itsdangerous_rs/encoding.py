"""``itsdangerous.encoding``'s public names (all of them stock's own: nothing here runs in Rust)."""

from __future__ import annotations

from itsdangerous.encoding import base64_decode as base64_decode
from itsdangerous.encoding import base64_encode as base64_encode
from itsdangerous.encoding import bytes_to_int as bytes_to_int
from itsdangerous.encoding import int_to_bytes as int_to_bytes
from itsdangerous.encoding import want_bytes as want_bytes
from itsdangerous.exc import BadData as BadData
