"""RTF to plain text in one pass, in time linear in the input.

A small tokenizer instead of striprtf, whose regular expressions backtrack (a font table of 200,000
entries never finished) and which raised on out-of-range ``\\u`` escapes and on ``\\bin`` without a
length. What it keeps: the document's text, ``\\par``/``\\line`` as line breaks, ``\\tab``/``\\cell`` as
tabs, ``\\'hh`` bytes in the document's code page, ``\\uN`` characters (skipping the ``\\ucN`` fallback
characters after them), and a field's displayed result. What it drops: font, colour and style tables,
pictures, objects, document properties, headers and footers, and every ``{\\*\\...}`` destination.
Nothing in it can raise on bad input: a character that cannot exist becomes U+FFFD.
"""

from __future__ import annotations

import codecs
import re

# one token per match; every alternative starts with a different character, so nothing backtracks
_TOKEN = re.compile(
    r"\\(?P<word>[a-zA-Z]{1,32})(?P<arg>-?[0-9]{1,10})? ?"
    r"|\\'(?P<hex>[0-9a-fA-F]{2})"
    r"|\\(?P<symbol>[^a-zA-Z'])"
    r"|(?P<group>[{}])"
    r"|(?P<text>[^\\{}\r\n]+)"
    r"|[\r\n]+"
    r"|\\",
    re.S,
)

SKIPPED = frozenset("""
    fonttbl colortbl stylesheet listtable listoverridetable revtbl rsidtbl filetbl info pict object objdata
    fldinst datafield themedata colorschememapping latentstyles generator xmlnstbl header headerl headerr
    headerf footer footerl footerr footerf footnote annotation atnid atnauthor comment bkmkstart bkmkend
    shpinst shppict nonshppict blipuid pgdsctbl protusertbl userprops docvar mmathPr
""".split())
BREAKS = {"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "tab": "\t", "cell": "\t"}
CHARACTERS = {"emdash": "\u2014", "endash": "\u2013", "lquote": "\u2018", "rquote": "\u2019",
              "ldblquote": "\u201c", "rdblquote": "\u201d", "bullet": "\u2022", "emspace": " ", "enspace": " "}
SYMBOLS = {"\\": "\\", "{": "{", "}": "}", "~": "\u00a0", "_": "\u2011", "-": "", "\n": "\n", "\r": "\n"}


def rtf_to_text(rtf: str) -> str:
    """The text of an RTF document (already decoded to ``str``: its bytes map one to one)."""
    out: list[str] = []
    pending = bytearray()  # \'hh bytes, decoded together (code pages with two-byte characters)
    encoding = "cp1252"
    skip = False  # inside a destination that is dropped
    uc = 1  # fallback characters after each \uN
    fallback = 0  # fallback characters still to skip
    high: int | None = None  # a high surrogate from \uN waiting for its low half (alone, it is dropped)
    stack: list[tuple[bool, int]] = []
    first_in_group = False
    ignorable = False
    pos, end = 0, len(rtf)

    def flush() -> None:
        if pending:
            out.append(pending.decode(encoding, "replace"))
            pending.clear()

    while pos < end:
        m = _TOKEN.match(rtf, pos)
        pos = m.end()
        kind = m.lastgroup
        if kind == "arg":
            kind = "word"
        elif kind is None:  # a raw line break (not text in RTF) or a lone backslash
            continue
        if kind != "hex" and pending:
            flush()
        if kind == "group":
            if m.group("group") == "{":
                stack.append((skip, uc))
                first_in_group, ignorable = True, False
            elif stack:
                skip, uc = stack.pop()
                first_in_group = False
            fallback = 0
            continue
        was_first, first_in_group = first_in_group, False
        if kind == "word":
            word, arg = m.group("word"), m.group("arg")
            if fallback and word != "bin":
                fallback -= 1
                continue
            if (ignorable or word in SKIPPED) and (was_first or ignorable):
                skip, ignorable = True, False
                continue
            if word == "bin":  # raw bytes follow: skip them (no length, or a negative one, is none)
                pos += min(max(int(arg or 0), 0), end - pos)
                continue
            if word == "ansicpg" and arg:
                encoding = _codec(int(arg), encoding)
            elif word == "uc":
                uc = max(int(arg or 0), 0)
            elif skip:
                continue
            elif word == "u" and arg:
                value = int(arg) + (65536 if int(arg) < 0 else 0)
                fallback = uc
                if 0xD800 <= value <= 0xDBFF:
                    high = value
                    continue
                if 0xDC00 <= value <= 0xDFFF and high is not None:
                    value = 0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00)
                elif not 0 <= value <= 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                    value = 0xFFFD
                high = None
                out.append(chr(value))
            elif word in BREAKS:
                out.append(BREAKS[word])
            elif word in CHARACTERS:
                out.append(CHARACTERS[word])
            continue
        if kind == "symbol":
            symbol = m.group("symbol")
            if symbol == "*":
                ignorable = was_first
                first_in_group = was_first
                continue
            if fallback:
                fallback -= 1
            elif not skip and symbol in SYMBOLS:
                out.append(SYMBOLS[symbol])
            continue
        if kind == "hex":
            if fallback:
                fallback -= 1
            elif not skip:
                pending.append(int(m.group("hex"), 16))
            continue
        if kind == "text":
            text = m.group("text")
            if fallback:
                cut = min(fallback, len(text))
                text, fallback = text[cut:], fallback - cut
            if not skip and text:
                out.append(text)
    flush()
    return "".join(out)



def _codec(code_page: int, current: str) -> str:
    name = f"cp{code_page}"
    try:
        codecs.lookup(name)
    except LookupError:
        return current
    return name
