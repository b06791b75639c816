"""Text as Stockroom stores it: one normal form on SQLite and PostgreSQL alike.

Three kinds of text, three rules, and one for printing:

- **free text** from channels and people (buyer names, addresses, titles): NFC, and every control
  character removed (NUL, C0, DEL, C1, including ANSI escape introducers), so nothing a database
  refuses or a terminal interprets is ever stored. Tabs and line breaks become one space.
- **identifiers** (SKUs, order ids, account names): NFC, and *refused* when they contain a control,
  format (zero-width, bidi override), private-use, unassigned or surrogate character, or leading or
  trailing white space: an identifier that looks like another must not sit beside it.
- **terminal output**: ``escape_controls`` shows control and invisible formatting characters as
  ``\\x1b`` / ``\\u202e``, so text printed by the CLI can never drive the terminal (ANSI escapes) or
  reorder what is shown (bidi overrides).
- **keys** for case-insensitive uniqueness: ``identity_key`` folds compatibility forms (a no-break
  space is a space, full-width letters are letters) and case, so ``ÄPFEL`` and ``äpfel`` are one SKU.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode general categories never allowed in an identifier.
_FORBIDDEN_IDENTIFIER_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character (zero-width or direction override)",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}

_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


def clean_text(value: str | None) -> str:
    """Free text as stored: NFC, no control or lone-surrogate characters, line breaks as one space."""
    if not value:
        return ""
    if value.isprintable() and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value  # the common case, quickly: nothing to remove (no control, format or line break)
    value = _LINE_BREAKS.sub(" ", value)
    value = "".join(
        ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\u200b\ufeff"
    )
    return unicodedata.normalize("NFC", value)


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be an identifier, in words a seller understands; None when it can."""
    if value != value.strip():
        return "starts or ends with white space"
    if value.isascii() and value.isprintable():
        return None  # letters, digits, punctuation and spaces only
    for ch in value:
        category = unicodedata.category(ch)
        reason = _FORBIDDEN_IDENTIFIER_CATEGORIES.get(category)
        if reason:
            return f"contains {reason} (U+{ord(ch):04X})"
        if category == "Zs" and ch != " ":
            return f"contains a special space (U+{ord(ch):04X}); use an ordinary space"
    return None


def clean_identifier(value: str) -> str:
    """The identifier in NFC; raises ValueError with the reason when it cannot be one."""
    value = unicodedata.normalize("NFC", value)
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def identity_key(value: str) -> str:
    """The key two identifiers share when a person would call them the same (case, width, spaces)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold()).strip()


# everything a terminal may act on or that hides or reorders text; line feed and tab are kept
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def escape_controls(value: str) -> str:
    """``value`` safe to print: each control or invisible formatting character as a visible escape."""
    return _TERMINAL_CONTROLS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), value)
