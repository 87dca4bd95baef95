"""Figures of the maintenance model's report (built on ``Figure``, no pyplot state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

VARIANT_COLOURS = {
    "unmitigated": "#1f3a5f",
    "threshold_optimizer": "#c77d00",
    "exponentiated_gradient": "#2e7d32",
}


def _colour(variant: str) -> str:
    return next((c for k, c in VARIANT_COLOURS.items() if variant.startswith(k)), "#777777")


def _marker(variant: str) -> str:
    return "s" if variant.endswith("equalized_odds") else "o"


def performance_against_disparity(variants: pd.DataFrame, comparison: str) -> Figure:
    """PR-AUC (with interval) against the signed selection-rate and TPR differences.

    Colour: the method (unmitigated, ThresholdOptimizer, ExponentiatedGradient); marker:
    the constraint (circle demographic parity, square equalized odds). The legend gives
    each variant's permutation p-values.
    """
    figure = Figure(figsize=(11, 5.2), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    measures = (
        ("selection_rate", "selection rate (demographic parity)"),
        ("true_positive_rate", "true positive rate (equalized odds)"),
    )
    for ax, (measure, label) in zip(axes, measures, strict=True):
        for row in variants.to_dict("records"):
            x = row[f"{measure}_diff_value"]
            y = row["pr_auc_value"]
            ax.errorbar(
                x,
                y,
                xerr=[[x - row[f"{measure}_diff_low"]], [row[f"{measure}_diff_high"] - x]],
                yerr=[[y - row["pr_auc_low"]], [row["pr_auc_high"] - y]],
                fmt=_marker(row["variant"]),
                markersize=7,
                color=_colour(row["variant"]),
                capsize=3,
                alpha=0.85,
                label=(
                    f"{row['variant']} (p sel. {row['selection_rate_diff_p_value']:.2f}, "
                    f"p TPR {row['true_positive_rate_diff_p_value']:.2f})"
                ),
            )
        ax.axvline(0, color="#999999", linewidth=1, linestyle="--")
        ax.set_xlabel(f"{comparison}: {label}, 95 % interval")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test PR-AUC (95 % interval)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    figure.suptitle("Performance against disparity, unmitigated and mitigated (test rows)")
    return figure


def framing_comparison(comparison: pd.DataFrame) -> Figure:
    """PR-AUC and ROC-AUC with intervals per framing and candidate, chance levels marked."""
    figure = Figure(figsize=(11, 3.8), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    for ax, metric in zip(axes, ("pr_auc", "roc_auc"), strict=True):
        rows = comparison[comparison["metric"] == metric].reset_index(drop=True)
        positions = np.arange(len(rows))[::-1]
        ax.barh(
            positions,
            rows["value"],
            xerr=[rows["value"] - rows["low"], rows["high"] - rows["value"]],
            color=["#1f3a5f" if s else "#9fb3cc" for s in rows["selected"]],
            capsize=3,
        )
        chance = rows["prevalence"].iloc[0] if metric == "pr_auc" else 0.5
        ax.axvline(chance, color="#c0392b", linestyle="--", linewidth=1)
        ax.set_yticks(positions, [f"{r.framing} / {r.candidate}" for r in rows.itertuples()])
        ax.set_title("PR-AUC (red: prevalence)" if metric == "pr_auc" else "ROC-AUC (red: chance)")
    figure.suptitle("Test rows, 95 % intervals; dark: the framing's model")
    return figure


def leakage_audit(audit: pd.DataFrame) -> Figure:
    """Each feature's single-split balanced accuracy, leaks highlighted."""
    figure = Figure(figsize=(8, 3.6))
    ax = figure.subplots()
    ordered = audit.sort_values("split_balanced_accuracy")
    colours = {"definitional_leak": "#c0392b", "strong": "#c77d00", "weak": "#1f3a5f"}
    ax.barh(
        ordered["feature"],
        ordered["split_balanced_accuracy"],
        color=[colours.get(v, "#777777") for v in ordered["verdict"]],
    )
    ax.set_xlim(0.45, 1.01)
    ax.set_xlabel("balanced accuracy of the best single split (red: definitional leak)")
    ax.set_title("Leakage audit: each feature alone against the target (training rows)")
    return figure


def group_rates(group_metrics: pd.DataFrame) -> Figure:
    """Selection, true and false positive rates per group of each attribute."""
    attributes = list(dict.fromkeys(group_metrics["attribute"]))
    figure = Figure(figsize=(11, 3.6))
    axes = np.atleast_1d(figure.subplots(1, len(attributes), sharey=True))
    for ax, attribute in zip(axes, attributes, strict=True):
        rows = group_metrics[group_metrics["attribute"] == attribute]
        positions = np.arange(len(rows))
        for offset, measure in zip(
            (-0.27, 0, 0.27),
            ("selection_rate", "true_positive_rate", "false_positive_rate"),
            strict=True,
        ):
            ax.bar(positions + offset, rows[measure], width=0.27, label=measure)
        ax.set_xticks(positions, rows["group"].astype(str), fontsize=7, rotation=20)
        ax.set_title(attribute)
    axes[0].legend(fontsize=7)
    figure.suptitle("Rates per group (test rows, unmitigated model)")
    return figure
