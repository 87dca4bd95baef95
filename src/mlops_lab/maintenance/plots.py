"""Figures of the maintenance model's report (built on ``Figure``, no pyplot state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

VARIANT_COLOURS = {
    "unmitigated": "#1f3a5f",
    "threshold_optimizer": "#c77d00",
    "exponentiated_gradient": "#2e7d32",
}


def _colour(variant: str) -> str:
    return next((c for k, c in VARIANT_COLOURS.items() if variant.startswith(k)), "#777777")


def performance_against_disparity(variants: pd.DataFrame, comparison: str) -> Figure:
    """PR-AUC (with interval) against the signed selection-rate and TPR differences."""
    figure = Figure(figsize=(11, 4.2))
    axes = figure.subplots(1, 2, sharey=True)
    for ax, measure, label in zip(
        axes,
        ("selection_rate", "true_positive_rate"),
        ("selection rate (demographic parity)", "true positive rate (equalized odds)"),
        strict=True,
    ):
        for row in variants.to_dict("records"):
            x = row[f"{measure}_diff_value"]
            xerr = [[x - row[f"{measure}_diff_low"]], [row[f"{measure}_diff_high"] - x]]
            y = row["pr_auc_value"]
            yerr = [[y - row["pr_auc_low"]], [row["pr_auc_high"] - y]]
            ax.errorbar(
                x,
                y,
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                color=_colour(row["variant"]),
                capsize=3,
                label=f"{row['variant']} (p={row[f'{measure}_diff_p_value']:.2f})",
            )
        ax.axvline(0, color="#999999", linewidth=1, linestyle="--")
        ax.set_xlabel(f"{comparison}: {label}")
        ax.legend(fontsize=7, loc="lower left")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test PR-AUC (95 % interval)")
    figure.suptitle("Performance against disparity, unmitigated and mitigated (test rows)")
    return figure


def framing_comparison(comparison: pd.DataFrame) -> Figure:
    """PR-AUC and ROC-AUC with intervals per framing and candidate, prevalence marked."""
    figure = Figure(figsize=(11, 3.8))
    axes = figure.subplots(1, 2)
    for ax, metric, chance in zip(axes, ("pr_auc", "roc_auc"), ("prevalence", None), strict=True):
        rows = comparison[comparison["metric"] == metric].reset_index(drop=True)
        labels = [f"{r.framing}\n{r.candidate}" for r in rows.itertuples()]
        positions = np.arange(len(rows))
        ax.bar(
            positions,
            rows["value"],
            yerr=[rows["value"] - rows["low"], rows["high"] - rows["value"]],
            color=["#1f3a5f" if s else "#9fb3cc" for s in rows["selected"]],
            capsize=3,
        )
        level = rows["prevalence"].iloc[0] if chance else 0.5
        ax.axhline(level, color="#c0392b", linestyle="--", linewidth=1)
        ax.text(
            len(rows) - 0.5,
            level,
            " prevalence" if chance else " chance",
            color="#c0392b",
            va="bottom",
            ha="right",
            fontsize=8,
        )
        ax.set_xticks(positions, labels, fontsize=7)
        ax.set_title(f"test {metric.replace('_', '-').upper()} (95 % interval; dark = selected)")
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
