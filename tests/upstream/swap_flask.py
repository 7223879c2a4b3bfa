"""pytest plugin: every Flask app uses itsdangerous_rs's session interface."""

import flask
import flask.sessions

from itsdangerous_rs.flask import SecureCookieSessionInterface

flask.sessions.SecureCookieSessionInterface = SecureCookieSessionInterface
flask.Flask.session_interface = SecureCookieSessionInterface()


def pytest_terminal_summary(terminalreporter):
    assert type(flask.Flask.session_interface) is SecureCookieSessionInterface
    terminalreporter.write_line("Flask session interface swapped for itsdangerous_rs.flask")
