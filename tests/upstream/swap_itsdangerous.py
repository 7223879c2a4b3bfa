"""pytest plugin: every itsdangerous signer and serializer class is ours.

Loaded with ``-p`` before upstream test modules import their names, so
``from itsdangerous.signer import Signer`` gives ``itsdangerous_rs.Signer``.
"""

import itsdangerous
import itsdangerous.serializer
import itsdangerous.signer
import itsdangerous.timed
import itsdangerous.url_safe

import itsdangerous_rs

SWAPPED = ("Signer", "TimestampSigner", "Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer")

for module in (itsdangerous, itsdangerous.signer, itsdangerous.timed, itsdangerous.serializer, itsdangerous.url_safe):
    for name in SWAPPED:
        if hasattr(module, name):
            setattr(module, name, getattr(itsdangerous_rs, name))


def pytest_terminal_summary(terminalreporter):
    assert itsdangerous.url_safe.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    terminalreporter.write_line("itsdangerous classes swapped for itsdangerous_rs")
