"""pytest plugin: ``itsdangerous_rs.patch()`` before upstream tests import anything.

Unlike the swap_* plugins, nothing else is replaced: stock Flask session
interfaces, Flask-WTF and stock Starlette middleware reach the engine only
through patch().
"""

import itsdangerous

import itsdangerous_rs

itsdangerous_rs.patch()


def pytest_terminal_summary(terminalreporter):
    assert itsdangerous.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    assert itsdangerous.signer.Signer is itsdangerous_rs.Signer
    terminalreporter.write_line("itsdangerous classes swapped for itsdangerous_rs by patch()")
