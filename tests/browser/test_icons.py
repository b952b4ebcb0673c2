"""Icons are inline SVG drawn in the page, not glyphs that a device's fonts may lack (Debian's
Chromium showed the notification bell as an empty box)."""

from __future__ import annotations

import pytest

from matchmaker.models import Role
from tests.browser_plugin import Web

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 360])
def test_the_notification_bell_is_drawn(web: Web, login_as, width: int) -> None:
    web.page.set_viewport_size({"width": width, "height": 800})
    login_as(Role.VENDOR)
    web.visit("/dashboard")
    toggler = web.page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    bell = web.page.locator(".notification-bell svg.icon-bell")
    bell.wait_for(state="visible")
    box = bell.bounding_box()
    assert box is not None and box["width"] >= 16 and box["height"] >= 16
    drawn = bell.evaluate("svg => svg.querySelector('path').getTotalLength()")
    assert drawn > 10, "the bell's path draws nothing"
    assert web.page.locator(".notification-bell").inner_text().strip() != "🔔"
