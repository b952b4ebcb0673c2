"""Security headers on HTML, JSON, 404, 413 and 500 responses; HSTS under HTTPS."""

from __future__ import annotations

import re

from flask import Flask

from tests.security.support import make_app, too_large_post


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (d.split() for d in policy.split(";") if d.strip())}


def assert_security_headers(response) -> None:
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def _boom_app(database_url: str) -> Flask:
    app = make_app(database_url)

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom secret detail")

    return app


def test_security_headers_on_every_kind_of_response(app, client, database_url):
    responses = {
        "html": client.get("/auth/login"),
        "json": client.get("/healthz"),
        "404": client.get("/no-such-page"),
        "413": too_large_post(app, client),
        "500": _boom_app(database_url).test_client().get("/boom"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 404, 413, 500]
    assert responses["json"].is_json
    for kind, response in responses.items():
        try:
            assert_security_headers(response)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{kind}: {exc!r}") from exc
        assert "Strict-Transport-Security" not in response.headers, kind


def test_hsts_is_sent_when_https_is_forced(database_url):
    client = make_app(database_url, FORCE_HTTPS=True).test_client()
    for response in (client.get("/healthz"), client.get("/no-such-page")):
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 180 * 24 * 3600
        assert_security_headers(response)
