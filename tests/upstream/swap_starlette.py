"""pytest plugin: Starlette's SessionMiddleware is itsdangerous_rs's.

Loaded with ``-p`` before upstream test modules import their names, so
``from starlette.middleware.sessions import SessionMiddleware`` gives ours.
"""

import starlette.middleware.sessions

from itsdangerous_rs.starlette import SessionMiddleware

starlette.middleware.sessions.SessionMiddleware = SessionMiddleware


def pytest_terminal_summary(terminalreporter):
    assert starlette.middleware.sessions.SessionMiddleware is SessionMiddleware
    terminalreporter.write_line("Starlette SessionMiddleware swapped for itsdangerous_rs.starlette")
