"""``itsdangerous.exc``'s exceptions: the very same classes, which every path here raises."""

from __future__ import annotations

from itsdangerous.exc import BadData as BadData
from itsdangerous.exc import BadHeader as BadHeader
from itsdangerous.exc import BadPayload as BadPayload
from itsdangerous.exc import BadSignature as BadSignature
from itsdangerous.exc import BadTimeSignature as BadTimeSignature
from itsdangerous.exc import SignatureExpired as SignatureExpired
