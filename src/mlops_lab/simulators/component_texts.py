"""Seeded generator of the lab's component-compliance documents (``text``, ``label``).

The lab's file is not public. Each generated document is a short technician description of
a car component that states three facts: its manufacture year, its condition (``poor``,
``fair``, ``good``, ``new``) and its material (``plastic``, ``carbon fiber``, ``steel``,
``iron``). The label follows the lab's rule exactly (:func:`mlops_lab.components.rule.
compliance_label`): 1 = non-compliant when the year is before 1995, or the condition is fair
or poor, or the material is plastic or iron; otherwise 0.

Phrasing varies the way technicians' notes do:

* each fact has many phrasings (``manufactured in 1985``, ``year of manufacture 1985``,
  ``1985 build``; ``in fair condition``, ``condition: fair``, ``rated fair``; ``made of steel``,
  ``steel construction``, or the material as an adjective: ``steel bracket``);
* the three facts come in any order, joined by commas, ``and``, semicolons or nothing;
* an optional component noun (``brake caliper``, ``door panel``...), an optional opening
  (``technician note:``) and closing (``noted during inspection``);
* mixed casing, trailing full stops and stray spaces, which the data pipeline normalises.

Every text has at most ``max_tokens`` words after normalisation (15 by default, the
sequence length the lab's classifier reads), so no fact is ever cut off. Attributes are
drawn independently and uniformly (years uniform in ``[year_min, year_max]``), which makes
about 13 % of components compliant with the default range.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mlops_lab.components.rule import CONDITIONS, MATERIALS, compliance_label
from mlops_lab.components.text import normalise_text

logger = logging.getLogger(__name__)

YEAR_PHRASES = (
    "manufactured in {}",
    "manufactured {}",
    "made in {}",
    "built in {}",
    "produced in {}",
    "from {}",
    "dated {}",
    "dating from {}",
    "made back in {}",
    "year of manufacture {}",
    "manufacture year: {}",
    "production year {}",
    "year {}",
    "{} model",
    "{} build",
    "{} production",
)
CONDITION_PHRASES = (
    "in {} condition",
    "{} condition",
    "condition: {}",
    "condition {}",
    "condition is {}",
    "condition rated {}",
    "in {} shape",
    "{} state",
    "rated {}",
    "graded {}",
    "looks {}",
    "overall {}",
)
MATERIAL_PHRASES = (
    "made of {}",
    "made from {}",
    "constructed of {}",
    "built from {}",
    "fabricated from {}",
    "consisting of {}",
    "material: {}",
    "material {}",
    "in {}",
    "{} construction",
    "{} body",
)
NOUNS = (
    "component",
    "part",
    "unit",
    "piece",
    "bracket",
    "housing",
    "panel",
    "mount",
    "bumper",
    "door handle",
    "brake caliper",
    "control arm",
    "wheel hub",
    "valve cover",
    "exhaust manifold",
    "seat frame",
    "mirror housing",
    "fuel cap",
)
DETERMINERS = ("", "", "the", "a", "this")
OPENINGS = ("technician note:", "inspection:", "report:", "checked:", "observed:", "note -")
CLOSINGS = ("noted during inspection", "per technician", "as inspected", "on inspection")
CONNECTORS = (" ", " ", ", ", ", ", " and ", "; ", " - ")


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of ``options``, uniformly: the draw ``rng.choice(options)`` makes, 20x faster."""
    return options[rng.integers(len(options))]


def _tokens(text: str) -> int:
    return len(normalise_text(text).split())


def _compose(
    rng: np.random.Generator, year: int, condition: str, material: str, max_tokens: int
) -> str:
    """One document stating the three facts, optional pieces dropped to fit the budget."""
    cond_word = "brand new" if condition == "new" and rng.random() < 0.15 else condition
    facts = [
        _pick(rng, YEAR_PHRASES).format(year),
        _pick(rng, CONDITION_PHRASES).format(cond_word),
    ]
    noun = _pick(rng, NOUNS) if rng.random() < 0.6 else ""
    material_as_adjective = rng.random() < (0.35 if noun else 0.15)
    if material_as_adjective:
        noun = f"{material} {noun or 'component'}"
    else:
        facts.append(_pick(rng, MATERIAL_PHRASES).format(material))
    facts = [facts[i] for i in rng.permutation(len(facts))]
    subject = " ".join(filter(None, (_pick(rng, DETERMINERS), noun))) if noun else ""
    # A subject usually opens the note, but "... steel bracket" also occurs.
    subject_last = bool(subject) and rng.random() < 0.15
    opening = _pick(rng, OPENINGS) if rng.random() < 0.2 else ""
    closing = _pick(rng, CLOSINGS) if rng.random() < 0.2 else ""

    while True:
        body = facts[0]
        for fact in facts[1:]:
            body += _pick(rng, CONNECTORS) + fact
        pieces = [body, subject] if subject_last else [subject, body]
        text = " ".join(filter(None, [opening, *pieces, closing]))
        if _tokens(text) <= max_tokens:
            return text
        # Over budget: drop the optional pieces first, then the determiner.
        if closing:
            closing = ""
        elif opening:
            opening = ""
        elif subject and subject != noun:
            subject = noun
        else:
            raise ValueError(
                f"A text stating the three facts needs more than max_tokens={max_tokens} "
                f"words: {text!r}. Raise max_tokens."
            )


def _style(rng: np.random.Generator, text: str) -> str:
    """Casing and punctuation as typed by people: normalisation removes it again."""
    roll = rng.random()
    if roll < 0.3:
        text = text[0].upper() + text[1:]
    elif roll < 0.35:
        text = text.upper()
    elif roll < 0.4:
        text = text.title()
    if rng.random() < 0.3:
        text += "."
    if rng.random() < 0.05:
        text = text.replace(" ", "  ", 1)
    return text


def generate_component_texts(
    n_texts: int,
    seed: int,
    year_min: int = 1960,
    year_max: int = 2024,
    max_tokens: int = 15,
) -> pd.DataFrame:
    """Generate ``n_texts`` technician descriptions and their compliance labels.

    Args:
        n_texts: number of rows.
        seed: seed of the random generator; the same seed gives the same file.
        year_min: earliest manufacture year (inclusive).
        year_max: latest manufacture year (inclusive).
        max_tokens: most words a text may have after normalisation.

    Returns:
        A frame with columns ``text`` (str) and ``label`` (int, 1 = non-compliant).
    """
    if n_texts < 1:
        raise ValueError(f"n_texts must be at least 1, got {n_texts}.")
    if year_min > year_max:
        raise ValueError(f"year_min ({year_min}) must not exceed year_max ({year_max}).")
    rng = np.random.default_rng(seed)
    years = rng.integers(year_min, year_max + 1, size=n_texts)
    conditions = rng.choice(CONDITIONS, size=n_texts)
    materials = rng.choice(MATERIALS, size=n_texts)
    texts, labels = [], []
    for year, condition, material in zip(years, conditions, materials, strict=True):
        year, condition, material = int(year), str(condition), str(material)
        texts.append(_style(rng, _compose(rng, year, condition, material, max_tokens)))
        labels.append(compliance_label(year, condition, material))
    frame = pd.DataFrame({"text": texts, "label": labels})
    logger.info(
        "Generated %d component texts (seed %d), %.1f %% non-compliant.",
        n_texts,
        seed,
        100 * frame["label"].mean(),
    )
    return frame
