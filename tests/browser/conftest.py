"""A headless Chromium with the janus.js page open, for each interop test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rxjanus.testing import enable_loopback_ice

from .chromium import Browser, Page, chromium_available


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """The interop page in a fresh browser; its Janus session is destroyed afterwards."""
    assert chromium_available(), (
        "chromium, libjs-janus-gateway, libjs-webrtc-adapter: run scripts/setup.sh"
    )
    async with Browser() as browser:
        page = await browser.open()
        try:
            yield page
        finally:
            await page.call("leave")
