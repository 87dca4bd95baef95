"""The maintenance model's HTML report: model card, leakage audit, framings, fairness,
mitigation and decision, in one self-contained file (:mod:`mlops_lab.reporting.html`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mlops_lab.maintenance import explanations, plots
from mlops_lab.reporting.html import Section, image, items, paragraph, render, table


def _with_interval(value: float, low: float, high: float) -> str:
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _signed(value: float, low: float, high: float) -> str:
    return f"{value:+.3f} [{low:+.3f}, {high:+.3f}]"


def framing_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Framings side by side: one row per framing and candidate, ``value [low, high]``."""
    cells = comparison.assign(
        cell=[
            _with_interval(v, lo, hi)
            for v, lo, hi in zip(
                comparison["value"], comparison["low"], comparison["high"], strict=True
            )
        ]
    )
    wide = cells.pivot_table(
        index=["framing", "candidate", "selected"], columns="metric", values="cell", aggfunc="first"
    ).reset_index()
    ordered = ["pr_auc", "roc_auc", "balanced_accuracy", "recall", "precision"]
    return wide[["framing", "candidate", "selected", *[m for m in ordered if m in wide]]]


def disparity_rows(disparity: Mapping[str, Any]) -> pd.DataFrame:
    """The signed differences of one model, with interval and permutation p-value."""
    return pd.DataFrame(
        [
            {
                "measure": measure,
                f"{disparity['comparison']} (95 % interval)": _signed(
                    e["value"], e["low"], e["high"]
                ),
                "permutation p": e["p_value"],
            }
            for measure, e in disparity["signed"].items()
        ]
    )


def variants_summary(variants: pd.DataFrame) -> pd.DataFrame:
    """Mitigation comparison: performance and disparity with their evidence, per variant."""
    rows = []
    for r in variants.to_dict("records"):
        rows.append(
            {
                "variant": r["variant"],
                "learner": r["learner"],
                "PR-AUC": _with_interval(r["pr_auc_value"], r["pr_auc_low"], r["pr_auc_high"]),
                "balanced accuracy": _with_interval(
                    r["balanced_accuracy_value"],
                    r["balanced_accuracy_low"],
                    r["balanced_accuracy_high"],
                ),
                "selection rate diff": _signed(
                    r["selection_rate_diff_value"],
                    r["selection_rate_diff_low"],
                    r["selection_rate_diff_high"],
                ),
                "p (sel.)": r["selection_rate_diff_p_value"],
                "TPR diff": _signed(
                    r["true_positive_rate_diff_value"],
                    r["true_positive_rate_diff_low"],
                    r["true_positive_rate_diff_high"],
                ),
                "p (TPR)": r["true_positive_rate_diff_p_value"],
                "FPR diff": _signed(
                    r["false_positive_rate_diff_value"],
                    r["false_positive_rate_diff_low"],
                    r["false_positive_rate_diff_high"],
                ),
                "p (FPR)": r["false_positive_rate_diff_p_value"],
                "DP diff / ratio": f"{r['demographic_parity_difference']:.3f} / "
                f"{r['demographic_parity_ratio']:.3f}",
                "EO diff / ratio": f"{r['equalized_odds_difference']:.3f} / "
                f"{r['equalized_odds_ratio']:.3f}",
                "spread of sel. diff over draws": r["selection_rate_diff_spread"],
                "draws": r["draws"],
            }
        )
    return pd.DataFrame(rows)


def explanation_blocks(shap_values: pd.DataFrame) -> list[str]:
    """SHAP's bar, beeswarm and waterfall plots, or the reason there are none."""
    method = str(shap_values["method"].iloc[0])
    if not explanations.explained(shap_values):
        return [paragraph(f"No SHAP explanation: {method}.", "warn")]
    figures = explanations.shap_figures(shap_values)
    return [
        paragraph(
            f"{method} on {len(shap_values)} test visits (a seeded sample), on the learner's "
            "inputs (categories one-hot). Values are in log-odds of an early issue; "
            "positive pushes towards an issue."
        ),
        image(figures["bar"], "Global importance: mean |SHAP value| per input"),
        image(figures["beeswarm"], "SHAP value of each input for each explained visit"),
        image(figures["waterfall"], "The visit with the highest predicted probability"),
    ]


def maintenance_report(
    card: Mapping[str, Any],
    audit: pd.DataFrame,
    comparison: pd.DataFrame,
    group_metrics: pd.DataFrame,
    disparity: Mapping[str, Any],
    variants: pd.DataFrame,
    decision: Mapping[str, Any],
    proxy: Mapping[str, Any],
    promotion: Mapping[str, Any],
    shap_values: pd.DataFrame,
) -> str:
    """The whole report as one HTML string."""
    framing = card["framing"]
    signal = card["signal"]
    challenger = promotion.get("challenger", {})
    metrics = card["selected_metrics_by_framing"][framing["name"]]
    metric_rows = pd.DataFrame(
        [
            {"metric": name, "test value [95 % interval]": _with_interval(**m)}
            for name, m in metrics.items()
        ]
    )
    counts = pd.DataFrame([{"group": g, **c} for g, c in disparity["counts"].items()])
    leaks = card.get("leaks") or []
    allowed = card.get("allowed_leaks") or {}
    leak_lines = [
        f"{leak['feature']}: {leak['rule']} -> "
        + (f"allowed: {allowed[leak['feature']]}" if leak["feature"] in allowed else "refused")
        for leak in leaks
    ] or ["no definitional leak found"]
    sections = [
        Section(
            "Model card",
            [
                paragraph(signal["statement"], "good" if signal["usable_signal"] else "warn"),
                items(
                    [
                        f"Model: {card['model_name']} version {challenger.get('version', '?')} "
                        f"({card['model']}, threshold {card['threshold']:.3f} chosen on a "
                        "validation split of the training rows)",
                        f"Prediction-time framing: {framing['name']}: {framing['when']}",
                        f"Features: {', '.join(framing['features'])}",
                        f"Raw fields a caller sends: {', '.join(framing['raw_fields'])}",
                        f"Never inputs: {', '.join(card['never_inputs'])}",
                        f"Intended use: {card['intended_use']}",
                        f"Data: {card['data']} Test rows: {card['test_rows']}, prevalence "
                        f"{card['prevalence_test']:.3f}.",
                        f"Promotion: {promotion.get('reason', 'not decided')}",
                    ]
                ),
                table(metric_rows, caption="Test figures of the registered model"),
            ],
        ),
        Section(
            "Leakage audit",
            [
                paragraph(
                    "Each candidate feature alone against the target on the training rows: "
                    "its ROC-AUC and the best single split. A split that separates the "
                    "classes almost perfectly means the label was recorded from that "
                    "feature; training refuses it unless the parameters allow it with a reason."
                ),
                items(leak_lines),
                table(audit, caption="Single-feature audit (training rows)", digits=4),
                image(plots.leakage_audit(audit), "Single-split balanced accuracy per feature"),
            ],
        ),
        Section(
            "Prediction-time framings",
            [
                paragraph(
                    "Every candidate under every framing, on the same test rows. The "
                    "difference between the framings is the part of a score that comes from "
                    "information that exists only later than the earlier framing."
                ),
                items(
                    f"{name}: {spec['when']} ({', '.join(spec['features'])}); "
                    f"{card['signal_by_framing'][name]['statement']}"
                    for name, spec in card["framings"].items()
                ),
                table(framing_table(comparison), caption="Test figures, value [95 % interval]"),
                image(
                    plots.framing_comparison(comparison), "Framings and candidates on the test rows"
                ),
            ],
        ),
        Section("Explanations", explanation_blocks(shap_values)),
        Section(
            "Fairness",
            [
                paragraph(
                    "Per-group figures of the registered model on the test rows (fairlearn "
                    "MetricFrame). Signed differences have bootstrap intervals that can "
                    f"contain zero; p-values come from {disparity['n_shuffles']} shuffles "
                    "of the sensitive attribute over the test rows."
                ),
                table(group_metrics, caption="By gender, car make and age band"),
                image(plots.group_rates(group_metrics), "Rates per group"),
                table(disparity_rows(disparity), caption="Signed differences (unmitigated)"),
                table(
                    pd.DataFrame(
                        [
                            {
                                "demographic parity difference": disparity[
                                    "demographic_parity_difference"
                                ],
                                "demographic parity ratio": disparity["demographic_parity_ratio"],
                                "equalized odds difference": disparity["equalized_odds_difference"],
                                "equalized odds ratio": disparity["equalized_odds_ratio"],
                            }
                        ]
                    ),
                    caption="fairlearn differences (max - min) and ratios (min / max)",
                ),
                table(counts, caption="Counts behind the ratios (test rows)"),
            ],
        ),
        Section(
            "Mitigation",
            [
                paragraph(
                    "ThresholdOptimizer (post-processing, fit on the validation rows) and "
                    "ExponentiatedGradient (reduction, fit on the fitting rows) under "
                    "demographic parity and equalized odds, scored on the same test rows "
                    "with the same evidence. Both randomise predictions: the evidence is "
                    "computed on a seeded draw, the spread over repeated draws beside it. "
                    "'learner' is what the mitigation refits: 'model' is the registered "
                    "model's own learner; the reduction may use a cheaper one on the same "
                    "inputs (parameter base_learner)."
                ),
                table(variants_summary(variants), caption="Performance against disparity"),
                image(
                    plots.performance_against_disparity(variants, disparity["comparison"]),
                    "Performance against disparity",
                ),
            ],
        ),
        Section(
            "Decision",
            [
                paragraph(f"Decision: {decision['decision']}.", "good"),
                paragraph(
                    f"Rule: mitigate only when a disparity is significant (permutation p < "
                    f"{decision['rule']['alpha']} and an interval clear of zero) and the "
                    "mitigation reduces it at a PR-AUC cost of at most "
                    f"{decision['rule']['max_pr_auc_loss']}."
                ),
                items(decision["reasons"]),
            ],
        ),
        Section(
            "Proxy check",
            [
                paragraph(
                    f"How well the model's inputs predict {proxy['target']}: test ROC-AUC "
                    + _with_interval(**proxy["inputs_roc_auc"])
                    + " (0.5: no trace of the attribute in the inputs)."
                ),
                table(
                    pd.DataFrame(proxy["single_features"]),
                    caption="Each input alone (test ROC-AUC)",
                ),
            ],
        ),
    ]
    return render(
        "car-maintenance: model card and responsible-AI report",
        f"framing {framing['name']}; real data ({card['test_rows']} test visits)",
        sections,
    )
