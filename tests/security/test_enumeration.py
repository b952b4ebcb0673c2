"""Enumeration: an unknown e-mail and a wrong password answer the same and take about as long."""

from __future__ import annotations

import statistics
import time

from tests.security.support import login, make_app, normalised, set_cookies


def test_unknown_email_and_wrong_password_answer_the_same(app, make):
    user = make.user()
    unknown = "nobody-at-all@example.com"

    # Each from a new browser, so both start from the same session state.
    wrong = login(app.test_client(), user.email, "wrong-password-123", addr="10.1.0.1")
    missing = login(app.test_client(), unknown, "wrong-password-123", addr="10.1.0.2")

    assert wrong.status_code == missing.status_code == 200
    assert normalised(wrong.get_data(as_text=True), user.email) == normalised(
        missing.get_data(as_text=True), unknown)
    assert sorted(set_cookies(wrong)) == sorted(set_cookies(missing))
    assert sorted(wrong.headers.keys()) == sorted(missing.headers.keys())
    assert "kata sandi salah" in wrong.get_data(as_text=True)


def test_unknown_email_and_wrong_password_take_about_the_same_time(database_url, make):
    app = make_app(database_url, LOGIN_FAILURES_PER_WINDOW=1000)
    user = make.user()
    client = app.test_client()
    token = client.csrf_token()

    def timed(email: str, n: int) -> float:
        start = time.perf_counter()
        response = client.post("/auth/login", data={"email": email, "password": "wrong-pass-1",
                                                    "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.2.{n}.1"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return elapsed

    wrong, unknown = [], []
    timed(user.email, 99)  # warm-up
    for n in range(15):  # interleaved, so load spikes on the machine hit both alike
        wrong.append(timed(user.email, n))
        unknown.append(timed(f"nobody{n}@example.com", n))
    ratio = statistics.median(wrong) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (statistics.median(wrong), statistics.median(unknown))
