"""End to end: headless Chromium against the demo app on a real WSGI server.

The app (real Flask-Login + Flask-WTF, see ``flask_apps.py``) is served by
waitress on 127.0.0.1 on a free port, in a thread of this process, and Debian's
``/usr/bin/chromium`` is driven by Playwright.  The flow runs with our signed and our
encrypted session interfaces and, as a baseline for the test itself, with
Flask's stock one.

No browser is downloaded: if /usr/bin/chromium is missing or does not start,
the test is skipped with the reason (``pytest -rs`` shows it).
"""

from __future__ import annotations

import contextlib
import os
import threading

import pytest

from flask_apps import decode_session_cookie, load_interface, make_app

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 10_000


@contextlib.contextmanager
def serve(app):
    """Run ``app`` under waitress on 127.0.0.1:<free port>; stop it on exit."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2, ident="itsdangerous-rs-e2e")
    thread = threading.Thread(target=server.run, name="waitress-e2e", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close the listening socket, the wake-up pipe and any kept-alive
        # connection from inside the server's own loop, which then ends.
        def close_all():
            for channel in list(server._map.values()):
                channel.close()

        server.trigger.pull_trigger(close_all)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown(timeout=5)
        assert not thread.is_alive(), "waitress did not stop"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser test not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.skip(f"playwright is not installed ({exc}): browser test not run")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-proxy-server"]
            )
        except Exception as exc:  # noqa: BLE001 - any start-up failure means "no browser here"
            pytest.skip(f"{CHROMIUM} did not start under Playwright: {exc}")
        try:
            yield browser
        finally:
            browser.close()


def cookies_by_name(context, base_url):
    return {c["name"]: c for c in context.cookies(base_url)}


@pytest.mark.parametrize("interface_name", ["rs", "stock", "encrypted"])
def test_browser_login_browse_logout(browser, interface_name):
    app = make_app(load_interface(interface_name))
    with serve(app) as base:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            _run_flow(page, context, base)
        finally:
            context.close()


def _run_flow(page, context, base):
    # Anonymous: a protected page sends the browser to the login form.
    page.goto(base + "/dashboard")
    assert page.url == base + "/login?next=%2Fdashboard"
    assert page.locator(".flash").inner_text() == "Please log in to access this page."
    # The login form's CSRF token lives in the session cookie already.
    cookies = cookies_by_name(context, base)
    assert "csrf_token" in decode_session_cookie(cookies["session"]["value"])

    # Log in through the form (hidden CSRF field included), with remember-me.
    page.fill("#username", "alice")
    page.fill("#password", "wonderland")
    page.check("#remember")
    page.click("#login-submit")
    page.wait_for_url(base + "/dashboard")
    assert page.inner_text("#greeting") == "Hello Alice Liddell"
    assert page.inner_text("#visits") == "Dashboard visits this session: 1"

    cookies = cookies_by_name(context, base)
    session_cookie = cookies["session"]
    assert session_cookie["domain"] == "127.0.0.1"
    assert session_cookie["path"] == "/"
    assert session_cookie["httpOnly"] is True
    assert session_cookie["sameSite"] == "Lax"
    assert session_cookie["expires"] == -1  # a browser-session cookie
    data = decode_session_cookie(session_cookie["value"])
    assert data["_user_id"] == "alice" and data["_fresh"] is True and data["visits"] == 1
    assert "remember_token" in cookies
    # HttpOnly: page scripts cannot read either cookie.
    assert page.evaluate("document.cookie") == ""

    # Several protected pages, the login kept by the session cookie.
    page.click("#nav-profile")
    page.wait_for_url(base + "/profile")
    assert page.inner_text("#user-id") == "alice"
    assert page.inner_text("#fresh") == "fresh=True"
    # A read-only page leaves the cookie as it was.
    assert cookies_by_name(context, base)["session"]["value"] == session_cookie["value"]

    page.click("#nav-notes")
    page.wait_for_url(base + "/notes")
    page.fill("#note-text", "bring <tea> & cake")
    page.click("#note-submit")
    page.wait_for_url(base + "/notes")
    assert page.locator("#notes li").all_inner_texts() == ["bring <tea> & cake"]
    assert page.locator(".flash").inner_text() == "Note saved."

    # A forged CSRF token is refused with 400 and stores nothing.
    page.eval_on_selector("#note-form input[name=csrf_token]", "el => { el.value = 'forged' }")
    page.fill("#note-text", "forged note")
    with page.expect_response(lambda r: r.request.method == "POST") as post:
        page.click("#note-submit")
    assert post.value.status == 400
    page.goto(base + "/notes")
    assert page.locator("#notes li").all_inner_texts() == ["bring <tea> & cake"]

    page.click("#nav-dashboard")
    page.wait_for_url(base + "/dashboard")
    assert page.inner_text("#visits") == "Dashboard visits this session: 2"
    data = decode_session_cookie(cookies_by_name(context, base)["session"]["value"])
    assert data["visits"] == 2 and data["notes"] == ["bring <tea> & cake"]

    # Log out (a CSRF-protected POST): both cookies are gone.
    page.click("#logout")
    page.wait_for_url(base + "/")
    assert page.inner_text("#who") == "Not signed in"
    cookies = cookies_by_name(context, base)
    assert "session" not in cookies
    assert "remember_token" not in cookies

    # Protected pages send the browser back to the login form.
    for path in ("/dashboard", "/profile", "/notes"):
        page.goto(base + path)
        assert page.url == base + "/login?next=" + path.replace("/", "%2F"), path
        assert page.locator("#login-form").count() == 1
    assert "_user_id" not in decode_session_cookie(cookies_by_name(context, base)["session"]["value"])
