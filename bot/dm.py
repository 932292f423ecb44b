"""Plain-words requests ("what's new on north korea?", "brief me on lavrov", "story 12").

Direct messages to the bot and plain lines typed in the local shell go through `parse_intent`,
which maps them to the same commands as the slash commands. Anything it does not recognise is
an `unknown` intent, answered with a short help text (never silence).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

IntentKind = Literal["brief", "whatsnew", "story", "search", "help", "digest", "unknown"]


@dataclass(frozen=True)
class Intent:
    """What a plain-words request asks for.

    Attributes:
        kind: The command it maps to.
        topic: Topic for brief / whatsnew (None: everything); the query for search.
        story_id: For `story`.
        text: The request as typed (for "I did not understand …").
    """

    kind: IntentKind
    topic: str | None = None
    story_id: int | None = None
    text: str = ""


_MENTION = re.compile(r"<@!?\d+>")
_TRAILING = re.compile(r"[\s?!.…,;:]+$")
_POLITE_START = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|yo)\b[\s,!]*)?(?:briefbot\b[\s,:]*)?"
    r"(?:(?:please|pls|plz|could you|can you|would you)\b[\s,]*)?",
    re.IGNORECASE,
)
_POLITE_END = re.compile(r"[\s,]+(?:please|pls|plz|thanks|thank you)$", re.IGNORECASE)

_HELP = re.compile(
    r"^(?:help|\?+|commands|/help|what can you do|how does this work|how do i use (?:you|this)"
    r"|usage|menu|start)$",
    re.IGNORECASE,
)
_STORY = re.compile(
    r"^(?:(?:show|open|tell me about|read|get)\s+(?:me\s+)?)?(?:the\s+)?"
    r"(?:/?story|#)\s*#?\s*(\d{1,12})$",
    re.IGNORECASE,
)
_ABOUT = r"(?:\s+(?:on|about|with|for|regarding|in|re:?)\s+(?P<topic>.+))?"
_WHATSNEW = re.compile(
    r"^(?:/?whatsnew|what'?s\s+new|what\s+is\s+new|whats\s+new|what'?s\s+up|anything\s+new"
    r"|any\s+news|any\s+updates?|updates?|news|what\s+happened|what\s+did\s+i\s+miss"
    r"|what\s+have\s+i\s+missed|latest|what'?s\s+the\s+latest)" + _ABOUT + "$",
    re.IGNORECASE,
)
_BRIEF = re.compile(
    r"^(?:/?brief(?:\s+me)?|briefing|give\s+me\s+(?:a\s+)?(?:briefing|brief|summary|rundown)"
    r"|catch\s+me\s+up|summari[sz]e|summary|fill\s+me\s+in|tell\s+me)" + _ABOUT + "$",
    re.IGNORECASE,
)
_BRIEF_BARE_TOPIC = re.compile(r"^/?brief(?:\s+me)?\s+(?P<topic>.+)$", re.IGNORECASE)
_SEARCH = re.compile(
    r"^(?:/?search|find|look\s+up|lookup|search\s+for)\s+(?:for\s+)?(?P<topic>.+)$", re.IGNORECASE
)
_DIGEST = re.compile(r"^(?:/?digest|my\s+digest|daily\s+digest)$", re.IGNORECASE)


def _clean_topic(raw: str | None) -> str | None:
    if raw is None:
        return None
    topic = raw.strip().strip("\"'“”‘’").strip()
    topic = re.sub(r"^(?:the\s+)(?=\S+\s+\S)", "", topic, flags=re.IGNORECASE)
    topic = _TRAILING.sub("", topic).strip()
    if topic.lower() in ("", "everything", "anything", "all", "it", "today", "the news"):
        return None
    return topic


def parse_intent(text: str) -> Intent:
    """Map a plain-words request to a command.

    Examples:
        "what's new on north korea?" -> whatsnew(topic="north korea");
        "brief me on lavrov" -> brief(topic="lavrov"); "story 12" -> story(12);
        "search pipeline" -> search("pipeline"); "help" -> help; "banana" -> unknown.
    """
    original = text.strip()
    s = _MENTION.sub(" ", original)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("’", "'")
    s = _POLITE_START.sub("", s, count=1)
    s = _TRAILING.sub("", s)
    s = _POLITE_END.sub("", s)
    s = _TRAILING.sub("", s)
    if not s or _HELP.match(s):
        return Intent("help", text=original)
    if m := _STORY.match(s):
        return Intent("story", story_id=int(m.group(1)), text=original)
    if m := _WHATSNEW.match(s):
        return Intent("whatsnew", topic=_clean_topic(m.group("topic")), text=original)
    if m := _BRIEF.match(s):
        return Intent("brief", topic=_clean_topic(m.group("topic")), text=original)
    if m := _BRIEF_BARE_TOPIC.match(s):
        return Intent("brief", topic=_clean_topic(m.group("topic")), text=original)
    if m := _SEARCH.match(s):
        query = _clean_topic(m.group("topic"))
        if query:
            return Intent("search", topic=query, text=original)
    if _DIGEST.match(s):
        return Intent("digest", text=original)
    return Intent("unknown", text=original)
