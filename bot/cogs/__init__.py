"""Discord cogs, one per area; each command parses, makes one command-layer call and answers."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
