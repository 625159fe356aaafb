"""Text from outside (a service, a file someone else wrote) made harmless where it goes.

A terminal obeys escape sequences and line breaks: an answer could clear the screen, move
the cursor, or print a forged "PASSED" line of its own. `one_line` writes every control
character (C0, DEL, C1), and the Unicode controls that reorder or hide text, as a visible
escape, so a field is one line of plain characters. `block` keeps line breaks (a body
shown whole) and escapes the rest. `shell_word` quotes an argument for a shell, with
`$'...'` escapes when it holds characters a terminal must not see raw. XML 1.0 has its
own rule (`harness.core.xmlcodec.xml_safe`); HTML is escaped where it is written.
`json_text` writes JSON whose strings carry those characters as JSON's unicode escapes,
never raw: a `jq` or `cat` of the output replays nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

__all__ = ["block", "json_text", "one_line", "shell_word"]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                                  "\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """`text` as one line with every control character written as a visible escape."""
    return _CONTROL.sub(_escape, str(text))


def block(text: str) -> str:
    """`text` with its line breaks kept and every other control character escaped."""
    return _CONTROL_BUT_NEWLINE.sub(_escape, text.replace("\r\n", "\n"))


def shell_word(text: str) -> str:
    """`text` quoted for a POSIX shell; `$'...'` with escapes when it holds controls."""
    if not _CONTROL.search(text):
        return shlex.quote(text)
    body = text.replace("\\", "\\\\").replace("'", "\\'")
    return "$'" + _CONTROL.sub(_escape_for_shell, body) + "'"


def _escape_for_shell(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return "\\xef\\xbf\\xbd"  # a lone surrogate cannot be sent; U+FFFD is what goes out
    return "".join(f"\\x{b:02x}" for b in chr(code).encode("utf-8"))


_JSON_INVISIBLE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e"
                             "\u2060-\u2069\ufeff\ud800-\udfff]")


def json_text(data: Any, *, indent: int | None = None) -> str:
    """`data` as JSON, readable (UTF-8 kept), every control and invisible character escaped.

    `json` escapes C0 itself; DEL, C1, the bidi and zero-width controls, the line and
    paragraph separators and lone surrogates become unicode escapes here, which any JSON reader
    reads back as the same character.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
