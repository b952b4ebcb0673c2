"""Request size limits: one KB over the limit is a 413 page and the next request is fine."""

from __future__ import annotations

from tests.security.support import login, too_large_post


def test_a_body_over_the_limit_gets_a_413_page_and_the_next_request_is_fine(app, client, make):
    response = too_large_post(app, client)

    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200
    assert login(client, make.user().email).status_code == 302
