"""The ``battery-cycles`` model's HTML report: model card, held-out figures with bootstrap
intervals, SHAP explanations, in one self-contained file (:mod:`mlops_lab.reporting.html`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.battery import explanations
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE
from mlops_lab.reporting import shap_plots
from mlops_lab.reporting.html import Section, image, items, paragraph, render, table
from mlops_lab.reporting.intervals import Estimate, bootstrap


def _errors(forecasts: pd.DataFrame, column: str) -> pd.DataFrame:
    """Batteries x held-out day positions of ``column - y_true``."""
    frame = forecasts.sort_values([BATTERY_ID, DATE]).assign(
        position=lambda f: f.groupby(BATTERY_ID).cumcount(),
        error=lambda f: f[column] - f["y_true"],
    )
    return frame.pivot_table(
        index=BATTERY_ID, columns="position", values="error", aggfunc="first", dropna=False
    )


def holdout_intervals(
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    real_batteries: Sequence[int],
    resamples: int,
    block_days: int,
    seed: int,
) -> pd.DataFrame:
    """Normalised RMSE, macro-averaged over batteries, with 95 % bootstrap intervals.

    The held-out days are resampled in blocks of ``block_days`` consecutive days (the
    same days for every battery), so day-to-day correlation of the errors is kept.

    Args:
        forecasts: ``Date``, ``Battery_ID``, ``y_true``, ``y_pred``, ``y_baseline``.
        history: The days the models were fitted on (each battery's target range).
        real_batteries: Batteries whose series is real; the others are simulated.

    Returns:
        One row per series (``all``, ``real``, ``fleet``) and model (``selected``,
        ``baseline``): ``batteries``, ``value``, ``low``, ``high``.
    """
    missing = {DATE, BATTERY_ID, "y_true", "y_pred", "y_baseline"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"battery_holdout_forecasts: missing columns {sorted(missing)}.")
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    groups = {"all": list(ranges.index)}
    groups["real"] = [b for b in ranges.index if b in set(real_batteries)]
    groups["fleet"] = [b for b in ranges.index if b not in set(real_batteries)]
    rows = []
    for model, column in (("selected", "y_pred"), ("baseline", "y_baseline")):
        errors = _errors(forecasts, column)
        for series, batteries in groups.items():
            if not batteries:
                continue
            part = errors.loc[batteries].to_numpy()
            scale = ranges.loc[batteries].to_numpy()

            def nrmse(positions: np.ndarray, part=part, scale=scale) -> float:
                return float(np.mean(np.sqrt(np.nanmean(part[:, positions] ** 2, axis=1)) / scale))

            estimate = bootstrap(nrmse, part.shape[1], resamples, seed, block=block_days)
            rows.append(
                {
                    "series": series,
                    "model": model,
                    "batteries": len(batteries),
                    "value": estimate.value,
                    "low": estimate.low,
                    "high": estimate.high,
                }
            )
    return pd.DataFrame(rows)


def _interval_table(intervals: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": intervals["series"],
            "model": intervals["model"],
            "batteries": intervals["batteries"],
            "nRMSE [95 % interval]": [
                str(Estimate(v, lo, hi))
                for v, lo, hi in intervals[["value", "low", "high"]].to_numpy()
            ],
        }
    )


def explanation_blocks(shap_values: pd.DataFrame, n_local: int) -> list[str]:
    """SHAP's bar, beeswarm and waterfall plots, or the reason there are none."""
    method = str(shap_values["method"].iloc[0])
    what = str(shap_values["explained"].iloc[0])
    if not shap_plots.explained(shap_values):
        return [paragraph(f"No SHAP explanation of {what}: {method}.", "warn")]
    rows = explanations.local_rows(shap_values, n_local)
    figures = shap_plots.shap_figures(shap_values, rows)
    blocks = [
        paragraph(
            f"{method} of {what}, on its direct forecasts of the next "
            f"{len(shap_values) // shap_values[BATTERY_ID].nunique()} days of each battery "
            f"({len(shap_values)} battery-days). Values are in cycles per day; positive "
            "raises the forecast above the base value (the mean forecast of these days)."
        ),
        image(figures["bar"], "Global importance: mean |SHAP value| per feature"),
        image(figures["beeswarm"], "SHAP value of each feature for each explained forecast"),
    ]
    for row in rows:
        battery, date = shap_values.loc[row, BATTERY_ID], shap_values.loc[row, DATE]
        forecast = shap_values.loc[row, "forecast"]
        blocks.append(
            image(
                figures[f"waterfall_{row}"],
                f"Battery {battery}, {date}: forecast {forecast:.2f} cycles, feature by feature",
            )
        )
    return blocks


def battery_report(
    holdout: pd.DataFrame,
    intervals: pd.DataFrame,
    history: pd.DataFrame,
    promotion: Mapping[str, Any],
    shap_values: pd.DataFrame,
    card: Mapping[str, Any],
    n_local: int,
) -> str:
    """The whole report as one HTML string.

    Args:
        holdout: Per-battery hold-out report (``battery_report_holdout``).
        intervals: Output of :func:`holdout_intervals`.
        history: The days before the hold-out (dates and batteries of the data).
        promotion: The gate's decision (``battery_cycles_promotion_report``).
        shap_values: Output of :func:`mlops_lab.battery.explanations.shap_table`.
        card: ``intended_use`` and ``limitations`` (texts), ``real_batteries``.
        n_local: Forecasts explained one by one.
    """
    real = set(card["real_batteries"])
    batteries = sorted(history[BATTERY_ID].unique())
    simulated = [b for b in batteries if b not in real]
    challenger = promotion.get("challenger", {})
    dates = pd.to_datetime(history[DATE])
    per_battery = holdout.drop(columns=["selected_model", "baseline_model"], errors="ignore")
    sections = [
        Section(
            "Model card",
            [
                items(
                    [
                        f"Model: {promotion.get('model_name', 'battery-cycles')} version "
                        f"{challenger.get('version', '?')}: {holdout['selected_model'].iloc[0]}, "
                        "chosen by rolling-origin validation on the history",
                        "Forecasts: Daily_Cycles_Used of each battery for the next days, with "
                        "80 % and 95 % intervals from the selected model's out-of-fold errors",
                        f"Data: daily_battery_time_series, {len(batteries)} batteries, "
                        f"{dates.min().date()} to {dates.max().date()} before the hold-out. "
                        f"Battery {', '.join(map(str, sorted(real)))}: the lab's real series; "
                        f"batteries {', '.join(map(str, simulated))}: simulated "
                        "(battery_simulation, seeded).",
                        f"Intended use: {card['intended_use']}",
                        f"Limitations: {card['limitations']}",
                        f"Promotion: {promotion.get('reason', 'not decided')}",
                    ]
                ),
                paragraph(
                    "Held-out figures: each battery's last days, never seen by the search; "
                    "the selected configuration and the best naive baseline refitted on the "
                    "days before them. Intervals: percentile bootstrap over the held-out "
                    "days in blocks of consecutive days (the same days for every battery)."
                ),
                table(_interval_table(intervals), caption="Normalised RMSE on the held-out days"),
                table(per_battery, caption="Per battery (held-out days)"),
            ],
        ),
        Section("Explanations", explanation_blocks(shap_values, n_local)),
    ]
    return render(
        "battery-cycles: model card and explanations",
        f"version {challenger.get('version', '?')}; battery "
        f"{', '.join(map(str, sorted(real)))} real, the others simulated",
        sections,
    )
