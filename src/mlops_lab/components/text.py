"""Text normalisation shared by data preparation and the packaged model.

The same function runs when the splits are prepared and inside the registered model, so a
text typed by a user is normalised exactly as the training texts were.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_text(text: str) -> str:
    """Lower-case, turn punctuation into spaces and collapse whitespace.

    ``"Made of Carbon-Fiber,  in GOOD condition."`` becomes
    ``"made of carbon fiber in good condition"``.
    """
    return _NOT_WORD.sub(" ", text.lower()).strip()


def rejection_reason(value: object, max_chars: int) -> str | None:
    """Why a raw value cannot be classified, or ``None`` when it can.

    A value is rejected when it is not a string (numbers, missing values), is empty or
    blank, has no letter or digit (nothing left after normalisation), or is longer than
    ``max_chars`` characters (the technicians' notes are one short sentence; a long text
    is almost surely a wrong column or a pasted document).
    """
    if not isinstance(value, str):
        return f"not text (got {type(value).__name__})"
    if not value.strip():
        return "empty text"
    if len(value) > max_chars:
        return f"longer than {max_chars} characters ({len(value)})"
    if not normalise_text(value):
        return "no letter or digit"
    return None
