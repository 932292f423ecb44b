"""Fixtures for the ingestion tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ingest_server import LocalServer


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    local = LocalServer()
    await local.start()
    try:
        yield local
    finally:
        await local.stop()
