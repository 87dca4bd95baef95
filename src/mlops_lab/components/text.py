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
