"""Turning bytes into text: byte-order marks, declared charsets, UTF-8, Windows-1252, binary."""

from __future__ import annotations

import codecs
import logging
import re

from summaries.errors import IngestError

log = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
# C0 control characters that never appear in text (tab, newlines and form feed are fine).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_bytes(data: bytes, *, source: str, declared: str | None = None) -> str:
    """Decode a file or response body to text.

    Order: byte-order mark, the declared charset (HTTP header), a charset stated in the document
    (HTML meta / XML declaration), UTF-8, BOM-less UTF-16, Windows-1252.

    Args:
        data: The raw bytes.
        source: What the bytes are (for error messages).
        declared: Charset declared by the transport, if any.

    Returns:
        The text, without a byte-order mark.

    Raises:
        IngestError: "<source> is a binary file, not text" for binary data;
            "<source> has an unreadable text encoding: ..." when no encoding fits.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding), source)
            except UnicodeDecodeError:
                raise IngestError(
                    f"{source} has an unreadable text encoding: it starts with a "
                    f"{encoding.upper()} byte-order mark but is not valid {encoding.upper()}"
                ) from None
    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        try:
            return _checked(data.decode(utf16), source)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise IngestError(f"{source} is a binary file, not text")
    head = data[:4096]
    stated: list[str | None] = [declared]
    for pattern in (_XML_ENCODING_RE, _META_CHARSET_RE):
        match = pattern.search(head)
        if match:
            stated.append(match.group(1).decode("ascii", "replace"))
    for charset in stated:
        if not charset:
            continue
        try:
            codecs.lookup(charset)
        except LookupError:
            log.debug("%s: unknown charset %r", source, charset)
            continue
        try:
            return _checked(data.decode(charset), source)
        except UnicodeDecodeError:
            log.debug("%s: not valid %s", source, charset)
    try:
        return _checked(data.decode("utf-8"), source)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise IngestError(
            f"{source} has an unreadable text encoding: not UTF-8, UTF-16 or Windows-1252 "
            f"(byte 0x{byte:02x} at position {exc.start})"
        ) from None
    log.debug("%s: not UTF-8 (%s); read as Windows-1252", source, utf8_error.reason)
    return _checked(text, source)


def _bomless_utf16(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:2000]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _checked(text: str, source: str) -> str:
    """Refuse text that is mostly control characters (a binary file that happened to decode)."""
    controls = len(_CONTROL_RE.findall(text[:20000]))
    if controls > max(2, len(text[:20000]) // 100):
        raise IngestError(f"{source} is a binary file, not text")
    return text
