"""The compliance model's HTML report: one self-contained page from the pipeline's outputs.

Built with :mod:`mlops_lab.reporting.html` (inline CSS and images, escaped text). Sections:
model card, leaderboard, hand-written notes, slices, calibration, threshold, token
attributions, errors and the promotion decision. Every figure in it is on the project's
simulated notes and the page says so, except those of the three sets of hand-written notes
(development, read while the simulator was widened; sealed and second sealed, written after
and independently), which are said to be a check that no choice used.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from mlops_lab.components.calibration import reliability_figure
from mlops_lab.reporting.html import (
    Section,
    highlighted_text,
    image,
    items,
    paragraph,
    render,
    table,
)

SECTIONS = (
    "Model card",
    "Leaderboard",
    "Hand-written notes",
    "Slices",
    "Calibration",
    "Threshold",
    "Token attributions",
    "Error analysis",
    "Promotion",
)
FIGURES = ("accuracy", "recall_non_compliant", "precision_non_compliant", "ece")


def with_intervals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``keys`` and each figure as ``0.995 [0.993, 0.997]`` (columns ``<figure>_low/_high``)."""
    shown = frame[keys].copy()
    for name in FIGURES:
        if name in frame:
            shown[name] = [
                "" if pd.isna(value) else f"{value:.3f} [{low:.3f}, {high:.3f}]"
                for value, low, high in zip(
                    frame[name], frame[f"{name}_low"], frame[f"{name}_high"], strict=True
                )
            ]
    return shown


def _model_card(card: Mapping[str, Any], data: Mapping[str, Any], registration) -> Section:
    splits = pd.DataFrame(
        [
            {
                "split": split,
                "notes": data.get(f"rows_{split}", ""),
                "template families": data.get(f"families_{split}", ""),
                "non-compliant share": data.get(f"non_compliant_share_{split}", ""),
            }
            for split in ("train", "validation", "test")
        ]
    )
    return Section(
        "Model card",
        [
            paragraph(
                "Data: simulated technicians' notes (the project's seeded generator, not the "
                "lab's file), labelled by the lab's rule: non-compliant when made before "
                "1995, in fair or poor condition, or of plastic or iron.",
                callout="warn",
            ),
            paragraph(
                "Split by template family: the test notes come from wording families never "
                "seen in training or calibration, so the test figures measure new phrasing."
            ),
            table(
                splits,
                caption="Splits",
                formats={"notes": ".0f", "template families": ".0f", "non-compliant share": ".3f"},
            ),
            items(
                [
                    "Intended use: flag notes that describe a non-compliant component for a "
                    "person to check; not a replacement for the inspection record.",
                    f"Input: one raw note (at most {card.get('max_chars')} characters); "
                    f"window {card.get('sequence_length')} characters after normalisation. "
                    "A longer note is refused, never cut.",
                    "Output: calibrated probability of non-compliance and a label at the "
                    "recall-floor threshold.",
                    f"Candidates: character Conv1D + BiLSTM ({card.get('parameters')} "
                    "parameters) and TF-IDF character n-grams + logistic regression, both "
                    "registered as versions of component-compliance, calibrated the same way.",
                    f"This run: {registration['challenger']['kind']} registered as "
                    f"@challenger, runner-up {registration['runner_up']['kind']} as "
                    f"v{registration['runner_up']['version']}.",
                ]
            ),
        ],
    )


# Figures compared between the simulated held-out notes and the hand-written ones, as said.
GAP_FIGURES = {
    "accuracy": "accuracy",
    "recall_non_compliant": "recall on non-compliant notes",
    "ece": "ECE",
}


# The sets of hand-written notes (column ``notes`` of the scores), as the report says
# which is which.
NOTE_SETS = {
    "development": (
        "Development notes",
        "Written and labelled by a person, not by the generator: other wording, "
        "abbreviations, typos and corrections. This set was read while the simulator was "
        "widened (its failures guided new phrasings), so its figures are now optimistic.",
    ),
    "sealed": (
        "Sealed notes",
        "Written afterwards by someone who saw neither the simulator nor the development "
        "notes, with the facts of each note recorded and its label computed from them by "
        "the lab's rule. Never used for a choice.",
    ),
    "sealed_2": (
        "Second sealed notes",
        "Written later still by a writer who saw nothing of the project (not the "
        "simulator, not the other sets, not the models), facts recorded and labels "
        "computed by the lab's rule like the sealed set. Never used for a choice and the "
        "least looked-at: the fairest figure of the three.",
    ),
}


def _note_set(name: str, leaderboard: pd.DataFrame, scores: pd.DataFrame) -> list[str]:
    """One set's blocks: what it is, each figure beside the simulated held-out one and the
    gap, all notes with intervals, and per kind."""
    title, description = NOTE_SETS.get(name, (f"{name} notes", ""))
    overall = scores[scores["group"] == "all"].set_index("model")
    held_out = leaderboard.set_index("model")
    gap_rows, sentences = [], []
    for model in overall.index:
        row: dict[str, Any] = {"model": model}
        for figure in GAP_FIGURES:
            simulated, hand = held_out.loc[model, figure], overall.loc[model, figure]
            row |= {
                f"{figure} simulated held-out": simulated,
                f"{figure} hand-written": hand,
                f"{figure} gap": hand - simulated,
            }
        gap_rows.append(row)
        parts = [
            f"{words} {row[f'{figure} hand-written']:.3f} against "
            f"{row[f'{figure} simulated held-out']:.3f} ({row[f'{figure} gap']:+.3f})"
            for figure, words in GAP_FIGURES.items()
            if not pd.isna(row[f"{figure} gap"])
        ]
        sentences.append(f"{model}: " + ", ".join(parts) + ".")
    per_kind = scores[scores["group"] != "all"]
    return [
        f"<h3>{html.escape(title)}</h3>",
        paragraph(f"{int(overall['n'].iloc[0])} notes. {description}"),
        paragraph(
            "Hand-written against simulated held-out families (the gap in brackets): "
            + " ".join(sentences)
        ),
        table(pd.DataFrame(gap_rows), caption=f"{title}: simulated held-out against hand-written"),
        table(
            with_intervals(overall.reset_index(), ["model", "n", "refused"]),
            caption=f"{title}: all notes",
        ),
        table(
            with_intervals(per_kind, ["group", "model", "n"]).rename(columns={"group": "kind"}),
            caption=f"{title}: per kind of note",
        ),
    ]


def _independent_notes(leaderboard: pd.DataFrame, independent: pd.DataFrame) -> Section:
    """Every set of hand-written notes, each figure beside its simulated held-out one and
    the gap; the development set first, then the sealed ones."""
    blocks = [
        paragraph(
            "Three sets of technician notes written by people, not by the generator. Both "
            "candidates of this run through their pyfunc and the rule's keyword reader; 95 % "
            "percentile bootstrap intervals. No choice of the pipeline uses these figures "
            "(not the ranking, not the threshold, not the gate): they are a check on data "
            "nobody tuned on, and using them for a choice would spoil it. The development "
            "notes were read while the simulator was widened, so their figures are "
            "optimistic; the two sealed sets were written after, independently, and never "
            "used for a choice.",
            callout="warn",
        )
    ]
    for name, scores in independent.groupby("notes", sort=False):
        blocks += _note_set(str(name), leaderboard, scores.drop(columns="notes"))
    return Section("Hand-written notes", blocks)


def _attributions(attributions: pd.DataFrame) -> Section:
    blocks = [
        paragraph(
            "Word occlusion: each word is left out in turn; its weight is the probability of "
            "non-compliance of the whole note minus that without the word. Red words pushed "
            "the note towards non-compliant, blue towards compliant (hover for the value). A note "
            "with two non-compliant facts stays non-compliant when either is left out, so "
            "neither shows: occlusion measures one word at a time."
        )
    ]
    scale = float(attributions["attribution"].abs().max()) or 1.0
    for model, frame in attributions.groupby("model", sort=False):
        rows = []
        for _, note in frame.groupby("note", sort=True):
            note = note.sort_values("position")
            first = note.iloc[0]
            top = note.loc[note["attribution"].abs().idxmax()]
            rows.append(
                f"<div><small>label {int(first['label'])}, probability "
                f"{first['probability']:.3f}, deciding word &quot;{html.escape(str(top['word']))}"
                f"&quot;</small>"
                + highlighted_text(note["word"].tolist(), note["attribution"].tolist(), scale)
                + "</div>"
            )
        blocks.append(f"<h3>{html.escape(str(model))}</h3>" + "".join(rows))
    return Section("Token attributions", blocks)


def compliance_report(
    card: Mapping[str, Any],
    data: Mapping[str, Any],
    calibrations: Mapping[str, Mapping[str, Any]],
    leaderboard: pd.DataFrame,
    independent: pd.DataFrame,
    slices: pd.DataFrame,
    test_metrics: Mapping[str, Any],
    attributions: pd.DataFrame,
    misclassified: pd.DataFrame,
    registration: Mapping[str, Any],
    promotion: Mapping[str, Any],
) -> str:
    """The report as one HTML document.

    Args:
        card: the network's model card (window, parameters).
        data: ``component_data``'s report (rows and families per split).
        calibrations: per candidate kind, its calibration (temperature, threshold, ECE
            before and after, reliability bins).
        leaderboard, slices: tables with ``_low``/``_high`` interval columns.
        independent: the hand-written notes' scores per set (``notes``: ``development``,
            ``sealed``), ``group`` (``all``, each kind) and model, with intervals.
        test_metrics: the registered challenger's test figures.
        attributions: :func:`mlops_lab.components.attribution.occlusion_attributions`
            rows with ``model``, ``text``, ``label``.
        misclassified: the challenger's wrong test notes with their reasons.
        registration, promotion: which candidate was registered last; the gate's decision.
    """
    # Calibration and threshold columns of each candidate's calibration, as shown.
    columns = {
        "temperature": "temperature",
        "ece_raw": "validation ECE before",
        "ece_calibrated": "validation ECE after",
        "threshold": "threshold",
        "validation_recall_at_threshold": "validation recall non-compliant",
        "validation_accuracy_at_threshold": "validation accuracy",
    }
    fitted = pd.DataFrame(
        [{"model": kind} | {columns[k]: r[k] for k in columns} for kind, r in calibrations.items()]
    )
    calibration_rows = fitted[["model", *list(columns.values())[:3]]]
    threshold_rows = fitted[["model", *list(columns.values())[3:]]]
    figures = [
        image(
            reliability_figure(result["reliability"], f"{kind}, validation notes"),
            f"Reliability diagram of {kind} before and after temperature scaling",
        )
        for kind, result in calibrations.items()
    ]
    errors = misclassified.groupby("hard_case").size().rename("wrong").reset_index()
    shown_errors = misclassified[["text", "label", "probability", "true_label_reason", "slices"]]
    sections = [
        _model_card(card, data, registration),
        Section(
            "Leaderboard",
            [
                paragraph(
                    "Both candidates through their pyfunc and the rule's keyword reader on the "
                    "same held-out notes; 95 % percentile bootstrap intervals."
                ),
                table(
                    with_intervals(leaderboard, ["model", "n"]),
                    caption="Held-out template families (simulated notes)",
                ),
            ],
        ),
        _independent_notes(leaderboard, independent),
        Section(
            "Slices",
            [
                paragraph(
                    f"The registered @challenger ({registration['challenger']['kind']}) "
                    "beside the rule's keyword reader, per slice, with intervals."
                ),
                table(with_intervals(slices, ["slice", "model", "n", "n_non_compliant"])),
            ],
        ),
        Section(
            "Calibration",
            [
                paragraph(
                    "Temperature scaling fitted on the validation notes; expected calibration "
                    f"error (test, challenger) {test_metrics.get('ece', float('nan')):.4f}."
                ),
                table(calibration_rows, digits=4),
                *figures,
            ],
        ),
        Section(
            "Threshold",
            [
                paragraph(
                    "The highest threshold whose validation recall on non-compliant notes "
                    "reaches the floor: a missed non-compliant part costs more than a false "
                    f"alarm. Test recall of the challenger: "
                    f"{test_metrics.get('recall_non_compliant', float('nan')):.4f}."
                ),
                table(threshold_rows, digits=4),
            ],
        ),
        _attributions(attributions),
        Section(
            "Error analysis",
            [
                paragraph(
                    f"{len(misclassified)} wrong test notes of the challenger; the reason is "
                    "the rule applied to the facts a keyword reader finds."
                ),
                table(errors, caption="Wrong notes per hard-case kind"),
                table(shown_errors.head(25), caption="Wrong notes (first 25)"),
            ],
        ),
        Section(
            "Promotion",
            [
                paragraph(
                    f"Decision: {'promoted' if promotion.get('promoted') else 'kept'} - "
                    f"{promotion.get('reason', '')}",
                    callout="good" if promotion.get("promoted") else "warn",
                ),
                paragraph(f"Scored on: {promotion.get('data', '')}"),
            ],
        ),
    ]
    return render(
        "Component compliance model",
        "Technicians' notes -> compliant / non-compliant; figures on simulated notes",
        sections,
    )
