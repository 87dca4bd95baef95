"""Seeded generator of technicians' component notes, labelled by the lab's rule.

The lab's file is not public. Each generated note is a technician's note about a car
component that states three facts somewhere in it: the manufacture year, the condition
(``poor``, ``fair``, ``good``, ``new``) and the material (``plastic``, ``carbon fiber``,
``steel``, ``iron``). The label always comes from the lab's rule applied to the facts
drawn (:func:`mlops_lab.components.rule.compliance_label`), never from the text.

Notes look like real ones:

* up to ``max_words`` words (40 by default) after normalisation, the facts anywhere;
* irrelevant clauses and numbers that are not the manufacture year: inspection dates,
  mileage, part and work-order numbers, customer complaints, whose words (never the facts)
  carry typos now and then; openings, closings and a component noun;
* abbreviations (``mfr``, ``mfd``, ``cond.``, ``mat'l``), casing and punctuation noise;
  terse notes that give the bare values ("headlamp housing plastic 2018 new");
* values in other forms now and then (``variant_share``): British spelling, workshop
  shorthand and qualified materials that a reader still takes for the value ("carbon
  fibre", "CF", "stl", "cast iron", "gd", "brand-new", ``'93``), and at
  ``fact_typo_rate`` a misspelt word in a fact ("plastc", "condtion");
* a configurable share of **hard cases**, one kind per note (column ``hard_case``):
  ``negation`` (another value denied or corrected next to the real one: "not plastic,
  made of steel", "listed as fair, actually good", "steel, not plastic"), ``compound`` (a
  compliance word in an unrelated sense: "iron-gray paint", "fair-weather car", "Goodyear
  tyres", "new gasket fitted"), ``two_years`` (another year on the other side of the
  1995 limit, clearly not the manufacture year: "owner since 1990"), ``boundary``
  (manufacture year 1993-1996); ``none`` otherwise;
* a configurable share of non-compliant notes (``non_compliant_share``).

Phrasing comes in **template families** (column ``family``): a family fixes the phrase of
each fact, their order, the connector, whether and where the part is named, and the
opening and closing; values, the part named, irrelevant clauses, noise and hard cases vary
within it. Family definitions are drawn
from their own fixed seed, so the same family name means the same template whatever the
data seed; a group split by family (``component_data``) tests on wording never seen in
training. ``fact_token`` is the 0-based position, in the normalised note's words, of the
latest of the three facts' values (a note with ``fact_token >= 15`` states a fact after
the 15th word).
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass

import pandas as pd

from mlops_lab.components.rule import (
    CONDITIONS,
    MATERIALS,
    NON_COMPLIANT_CONDITIONS,
    NON_COMPLIANT_MATERIALS,
    VALUE_FORMS,
    YEAR_LIMIT,
    compliance_label,
)
from mlops_lab.components.text import normalise_text
from mlops_lab.simulators.component_phrases import (
    CLOSINGS,
    COMPOUNDS,
    CONDITION_PHRASES,
    CONNECTORS,
    CORRECTIONS,
    DENIALS_AFTER,
    DETERMINERS,
    FILLERS,
    MATERIAL_PHRASES,
    NAMES,
    NOUNS,
    OPENINGS,
    OTHER_YEAR_AFTER,
    OTHER_YEAR_BEFORE,
    SHORT_DENIALS,
    YEAR_PHRASES,
)

logger = logging.getLogger(__name__)

HARD_CASES = ("negation", "compound", "two_years", "boundary")
COLUMNS = ["text", "label", "family", "hard_case", "fact_token"]
FAMILY_SEED = 1995  # family definitions do not depend on the data seed
TERSE_SHARE = 0.15  # families that write the facts and nothing else
# Chance that a family gives a fact as the bare value ("steel, 2011, good"), in terse
# families and in the others.
TERSE_BARE_SHARE = 0.7
BARE_SHARE = 0.2
# Families that give the material as an adjective of the part ("Steel hinge, 2015, good",
# "a carbon fiber splitter"), as many real notes do.
ADJECTIVE_SHARE = 0.25
ADJECTIVE = "adjective"
MADE_UP_PART_SHARE = 0.15  # part names with a made-up word before them


@dataclass(frozen=True)
class Family:
    """One template: a phrase per fact, their order, connector, subject and framing."""

    name: str
    year: str
    condition: str
    material: str
    order: tuple[int, ...]
    connector: str
    names_part: bool  # the part is named ("the tow bar"); which part varies note by note
    determiner: str
    subject_last: bool
    opening: str
    closing: str
    terse: bool  # no opening, closing or irrelevant clause: "tow bar steel 2011 good"


def template_families(n_families: int) -> list[Family]:
    """``n_families`` template families, the same for every data seed."""
    if n_families < 1:
        raise ValueError(f"n_families must be at least 1, got {n_families}.")
    rng = random.Random(FAMILY_SEED)
    # Its own stream, so that the share of adjective families changes no other phrase.
    adjective_rng = random.Random(FAMILY_SEED + 1)
    families = []
    for index in range(n_families):
        terse = rng.random() < TERSE_SHARE
        bare = TERSE_BARE_SHARE if terse else BARE_SHARE

        def phrase(options: tuple[str, ...], bare: float = bare) -> str:
            return "{}" if rng.random() < bare else _pick(rng, options)

        material = phrase(MATERIAL_PHRASES)
        names_part = rng.random() < 0.6
        if adjective_rng.random() < ADJECTIVE_SHARE:
            material, names_part = ADJECTIVE, True
        families.append(
            Family(
                name=f"family_{index:03d}",
                year=phrase(YEAR_PHRASES),
                condition=phrase(CONDITION_PHRASES),
                material=material,
                order=tuple(rng.sample(range(3), 3)),
                connector=_pick(rng, CONNECTORS),
                names_part=names_part,
                determiner=_pick(rng, DETERMINERS) if names_part else "",
                subject_last=names_part and rng.random() < 0.2,
                opening=_pick(rng, OPENINGS) if rng.random() < 0.5 else "",
                closing=_pick(rng, CLOSINGS) if rng.random() < 0.4 else "",
                terse=terse,
            )
        )
    return families


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    """One of ``options``, uniformly."""
    return options[rng.randrange(len(options))]


def _words(text: str) -> int:
    return len(normalise_text(text).split())


def _typo(rng: random.Random, word: str) -> str:
    """Swap, drop or double one inner letter of a word of four letters or more (drop only
    from six letters: "god" for "good" or "far" for "fair" would be other words)."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice((0, 1, 2) if len(word) >= 6 else (0, 2))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _misspell(rng: random.Random, text: str, rate: float) -> str:
    """``text`` with each space-separated word misspelt (:func:`_typo`) at ``rate``."""
    return " ".join(_typo(rng, word) if rng.random() < rate else word for word in text.split(" "))


# Letters of made-up words; a made-up word never holds a value's word or shorthand.
_ONSETS = (
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "k",
    "l",
    "m",
    "p",
    "pl",
    "r",
    "s",
    "sk",
    "t",
    "tr",
    "v",
    "w",
    "z",
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "", "n", "r", "l", "s", "t", "x", "ck", "m")
_VALUE_STEMS = re.compile(
    "|".join(
        sorted(
            {
                word
                for forms in VALUE_FORMS.values()
                for f in forms
                for word in normalise_text(f).split()
                if len(word) > 1
            }
            | {"fib"}
        )
    )
)


def _made_up_word(rng: random.Random) -> str:
    """A pronounceable word that is no value: "brantel", "skoumix"."""
    while True:
        word = "".join(
            _pick(rng, _ONSETS) + _pick(rng, _VOWELS) + _pick(rng, _CODAS)
            for _ in range(rng.randrange(1, 4))
        )
        if len(word) >= 3 and not _VALUE_STEMS.search(word):
            return word


def _unknown_clause(rng: random.Random) -> str:
    """One to three made-up words: wording no list holds, which the facts must outweigh
    (real notes are full of words a simulator never wrote: "resprayed", "Pads at 4 mm")."""
    return " ".join(_made_up_word(rng) for _ in range(rng.randrange(1, 4)))


def _part_name(rng: random.Random) -> str:
    """The part a note is about, drawn for each note (a family does not fix it: a writer
    names whatever part is on the bench), now and then with a made-up word before it
    ("brantel bracket"): real notes name parts and makes that no list holds."""
    noun = _pick(rng, NOUNS)
    return f"{_made_up_word(rng)} {noun}" if rng.random() < MADE_UP_PART_SHARE else noun


def _filler(rng: random.Random, template: str, typo_rate: float) -> str:
    """An irrelevant clause, its numbers drawn, its words misspelt at ``typo_rate``."""
    year = rng.randrange(2015, 2025)
    month, day = rng.randrange(1, 13), rng.randrange(1, 29)
    date = _pick(
        rng,
        (f"{year}-{month:02d}-{day:02d}", f"{month:02d}/{day:02d}/{year}", f"{day}.{month}.{year}"),
    )
    clause = template.format(
        km=f"{rng.randrange(5, 300) * 1000 + rng.randrange(1000):,}",
        k=rng.randrange(10, 250),
        miles=rng.randrange(3000, 240000),
        part=f"{rng.randrange(100, 9999)}-{_pick(rng, ('A', 'B', 'X', '7', 'K2'))}",
        wo=rng.randrange(10000, 999999),
        date=date,
        speed=rng.randrange(30, 80),
        bay=f"bay {rng.randrange(1, 12)}",
        hours=round(rng.uniform(0.5, 6), 1),
        price=_pick(rng, ("£{}", "${}", "{} EUR", "{} eur")).format(rng.randrange(40, 900)),
        torque=rng.randrange(8, 250),
        mm=_pick(rng, (str(rng.randrange(1, 40)), f"{rng.uniform(0.1, 12):.1f}")),
        vin="".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(6)),
        name=_pick(rng, NAMES),
    )
    return _misspell(rng, clause, typo_rate)


def _draw_facts(
    rng: random.Random, non_compliant: bool, year_min: int, year_max: int, hard_case: str
) -> tuple[int, str, str]:
    """Year, condition and material whose label under the rule is ``non_compliant``."""
    compliant_conditions = [c for c in CONDITIONS if c not in NON_COMPLIANT_CONDITIONS]
    compliant_materials = [m for m in MATERIALS if m not in NON_COMPLIANT_MATERIALS]
    if hard_case == "boundary":
        if not non_compliant:
            year = rng.randrange(YEAR_LIMIT, YEAR_LIMIT + 2)
            return (
                year,
                _pick(rng, tuple(compliant_conditions)),
                _pick(rng, tuple(compliant_materials)),
            )
        # Only the year breaks the rule, most of the time: the boundary decides the label.
        year = rng.randrange(YEAR_LIMIT - 2, YEAR_LIMIT)
        if rng.random() < 0.7:
            return (
                year,
                _pick(rng, tuple(compliant_conditions)),
                _pick(rng, tuple(compliant_materials)),
            )
        return year, _pick(rng, CONDITIONS), _pick(rng, MATERIALS)
    low, high = max(year_min, YEAR_LIMIT), year_max
    if not non_compliant:
        if low > high:
            raise ValueError(
                f"year range [{year_min}, {year_max}] has no year from {YEAR_LIMIT}: "
                "no note can be compliant; lower non_compliant_share to 1 or widen the range."
            )
        return (
            rng.randrange(low, high + 1),
            _pick(rng, tuple(compliant_conditions)),
            _pick(rng, tuple(compliant_materials)),
        )
    # Non-compliant: uniform over the combinations that break the rule.
    for _ in range(1000):
        year = rng.randrange(year_min, year_max + 1)
        condition, material = _pick(rng, CONDITIONS), _pick(rng, MATERIALS)
        if compliance_label(year, condition, material) == 1:
            return year, condition, material
    raise ValueError(f"year range [{year_min}, {year_max}] gives no non-compliant note.")


def _surface(rng: random.Random, value: str, variant_share: float, typo_rate: float) -> str:
    """How a note writes ``value``: mostly the canonical word, else a variant, now and then
    with one letter of a word wrong ("plastc", "stele")."""
    forms = VALUE_FORMS[value]
    form = _pick(rng, forms[1:]) if rng.random() < variant_share else forms[0]
    return _misspell(rng, form, typo_rate)


def _year_form(rng: random.Random, year: int, variant_share: float) -> str:
    """The year as four digits, or now and then as ``'93``."""
    return f"'{year % 100:02d}" if rng.random() < variant_share / 2 else str(year)


def _fact_phrases(
    rng: random.Random,
    family: Family,
    facts_drawn: tuple[int, str, str],
    hard_case: str,
    variant_share: float,
    fact_typo_rate: float,
) -> tuple[list[tuple[str, str]], str]:
    """The fact clauses as (text before the value, value + rest) pairs, and the subject."""
    year, condition, material = facts_drawn

    def surface(value: str) -> str:
        return _surface(rng, value, variant_share, fact_typo_rate)

    def split(template: str, value: str) -> tuple[str, str]:
        before, after = template.split("{}")
        before = _misspell(rng, before, fact_typo_rate)
        return before, value + after

    facts = {
        "year": split(family.year, _year_form(rng, year, variant_share)),
        "condition": split(family.condition, surface(condition)),
    }
    noun = _part_name(rng) if family.names_part else ""
    if family.material == ADJECTIVE:
        noun = f"{surface(material)} {noun}"
    else:
        facts["material"] = split(family.material, surface(material))
    if hard_case == "negation":
        # Another value denied or corrected next to the real one: "not plastic, made of
        # steel", "listed as fair, actually good", "steel, not plastic".
        if "material" in facts and rng.random() < 0.6:
            kind = "material"
            other = surface(_pick(rng, tuple(m for m in MATERIALS if m != material)))
        else:
            kind = "condition"
            other = surface(_pick(rng, tuple(c for c in CONDITIONS if c != condition)))
        before, rest = facts[kind]
        roll = rng.random()
        if roll < 0.25:
            facts[kind] = (before, f"{rest}, {_pick(rng, DENIALS_AFTER).format(other)}")
        elif roll < 0.5:
            facts[kind] = (f"{_pick(rng, SHORT_DENIALS).format(other)}, {before}", rest)
        else:
            facts[kind] = (f"{_pick(rng, CORRECTIONS).format(other)} {before}", rest)
    kinds = ("year", "condition", "material")
    ordered = [facts[kinds[i]] for i in family.order if kinds[i] in facts]
    subject = " ".join(filter(None, (family.determiner, noun)))
    return ordered, subject


@dataclass(frozen=True)
class NoteStyle:
    """How noisy notes are: length, irrelevant clauses, variants and typos."""

    max_words: int
    filler_max: int
    typo_rate: float
    variant_share: float
    fact_typo_rate: float
    unknown_clause_share: float


def _compose(
    rng: random.Random,
    family: Family,
    facts_drawn: tuple[int, str, str],
    hard_case: str,
    style: NoteStyle,
) -> tuple[str, int]:
    """One note and the word position of its latest fact value (fillers dropped to fit)."""
    year = facts_drawn[0]
    max_words = style.max_words
    facts, subject = _fact_phrases(
        rng, family, facts_drawn, hard_case, style.variant_share, style.fact_typo_rate
    )
    templates = rng.sample(FILLERS, 0 if family.terse else rng.randrange(0, style.filler_max + 1))
    extras = [_filler(rng, template, style.typo_rate) for template in templates]
    if rng.random() < style.unknown_clause_share:
        extras.append(_unknown_clause(rng))
    if hard_case == "compound":
        extras.append(_pick(rng, COMPOUNDS))
    elif hard_case == "two_years":
        if year >= YEAR_LIMIT:
            other = rng.randrange(1965, YEAR_LIMIT)
            extras.append(_pick(rng, OTHER_YEAR_BEFORE).format(other))
        else:
            other = rng.randrange(YEAR_LIMIT, 2025)
            extras.append(_pick(rng, OTHER_YEAR_AFTER).format(other))
    # Each extra goes before, between or after the facts (slot i = before fact i).
    slots = [rng.randrange(0, len(facts) + 1) for _ in extras]
    opening = "" if family.terse else family.opening
    closing = "" if family.terse else family.closing
    while True:
        text, positions = "", []
        pieces: list[tuple[str, str | None]] = []  # (text, value part or None)
        if opening:
            pieces.append((opening, None))
        if subject and not family.subject_last:
            pieces.append((subject, None))
        for i, fact in enumerate(facts):
            pieces += [
                (extra, None) for extra, slot in zip(extras, slots, strict=True) if slot == i
            ]
            pieces.append(fact)
        pieces += [(e, None) for e, s in zip(extras, slots, strict=True) if s == len(facts)]
        if subject and family.subject_last:
            pieces.append((subject, None))
        if closing:
            pieces.append((closing, None))
        for number, (head, value) in enumerate(pieces):
            if number == 0:
                joint = ""
            elif number == 1 and opening:
                joint = " "
            else:
                joint = family.connector if value is not None else ", "
            if value is None:
                text += joint + head
            else:
                positions.append(_words(text + joint + head))
                text += joint + head + value
        if family.material == ADJECTIVE:
            subject_at = _words(text.split(subject)[0]) + len(family.determiner.split())
            positions.append(subject_at)
        if _words(text) <= max_words:
            return text, max(positions)
        if extras:
            drop = rng.randrange(len(extras))
            # Keep the hard case's own clause: it is the last extra.
            if hard_case in ("compound", "two_years") and len(extras) > 1:
                drop = rng.randrange(len(extras) - 1)
            elif hard_case in ("compound", "two_years"):
                raise ValueError(_too_long(max_words, text))
            extras.pop(drop)
            slots.pop(drop)
        elif closing or opening:
            closing, opening = "", ""
        else:
            raise ValueError(_too_long(max_words, text))


def _too_long(max_words: int, text: str) -> str:
    return f"A note stating the three facts needs more than max_words={max_words} words: {text!r}."


def _style(rng: random.Random, text: str) -> str:
    """Casing and punctuation as people type them (normalisation removes it again)."""
    roll = rng.random()
    if roll < 0.3:
        text = text[0].upper() + text[1:]
    elif roll < 0.37:
        text = text.upper()
    elif roll < 0.45:
        text = text.title()
    if rng.random() < 0.3:
        text += _pick(rng, (".", "..", "!", " ."))
    if rng.random() < 0.1:
        text = text.replace(" ", "  ", 1)
    return text


def generate_component_texts(
    n_texts: int,
    seed: int,
    year_min: int = 1960,
    year_max: int = 2024,
    max_words: int = 40,
    n_families: int = 300,
    hard_case_share: float = 0.3,
    non_compliant_share: float = 0.5,
    filler_max: int = 4,
    typo_rate: float = 0.05,
    variant_share: float = 0.3,
    fact_typo_rate: float = 0.02,
    unknown_clause_share: float = 0.2,
) -> pd.DataFrame:
    """Generate ``n_texts`` technicians' notes with their labels under the lab's rule.

    Args:
        n_texts: number of notes.
        seed: seed of the values, noise and hard cases (families have their own seed).
        year_min, year_max: manufacture years (inclusive), boundary cases aside.
        max_words: most words a note may have after normalisation.
        n_families: number of template families drawn from.
        hard_case_share: share of notes with a hard case (kinds equally likely).
        non_compliant_share: share of non-compliant notes.
        filler_max: most irrelevant clauses per note.
        typo_rate: probability that a word of an irrelevant clause is misspelt.
        variant_share: probability that a value is written in another form than its
            canonical word (:data:`VALUE_FORMS`: "carbon fibre", "stl", "gd", ...; a year
            as ``'93`` at half this rate).
        fact_typo_rate: probability that a word of a fact (its phrase or its value) of
            four letters or more is misspelt, still readable ("plastc", "condtion").
        unknown_clause_share: probability that a note holds a clause of made-up words
            ("brantel skoumix"), so that no model learns that every word is a known one.

    Returns:
        Columns ``text`` (str), ``label`` (int, 1 = non-compliant), ``family``,
        ``hard_case`` (``none`` or one of :data:`HARD_CASES`) and ``fact_token``.
    """
    for name, count in (
        ("n_texts", n_texts),
        ("n_families", n_families),
        ("max_words", max_words),
        ("filler_max", filler_max),
        ("year_min", year_min),
        ("year_max", year_max),
    ):
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"{name} must be a whole number, got {count!r}.")
    if n_texts < 1:
        raise ValueError(f"n_texts must be at least 1, got {n_texts}.")
    if year_min > year_max:
        raise ValueError(f"year_min ({year_min}) must not exceed year_max ({year_max}).")
    for name, share in (
        ("hard_case_share", hard_case_share),
        ("non_compliant_share", non_compliant_share),
        ("typo_rate", typo_rate),
        ("variant_share", variant_share),
        ("fact_typo_rate", fact_typo_rate),
        ("unknown_clause_share", unknown_clause_share),
    ):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} must be between 0 and 1, got {share}.")
    families = template_families(n_families)
    style = NoteStyle(
        max_words, filler_max, typo_rate, variant_share, fact_typo_rate, unknown_clause_share
    )
    rng = random.Random(seed)
    rows = []
    for _ in range(n_texts):
        family = families[rng.randrange(n_families)]
        hard_case = _pick(rng, HARD_CASES) if rng.random() < hard_case_share else "none"
        non_compliant = bool(rng.random() < non_compliant_share)
        facts = _draw_facts(rng, non_compliant, year_min, year_max, hard_case)
        text, fact_token = _compose(rng, family, facts, hard_case, style)
        rows.append(
            (
                _style(rng, text),
                compliance_label(*facts),
                family.name,
                hard_case,
                fact_token,
            )
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    logger.info(
        "Generated %d component notes (seed %d, %d families), %.1f %% non-compliant, "
        "%.1f %% hard cases.",
        n_texts,
        seed,
        n_families,
        100 * frame["label"].mean(),
        100 * (frame["hard_case"] != "none").mean(),
    )
    return frame
