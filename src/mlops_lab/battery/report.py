"""The battery models' HTML reports, each one self-contained file
(:mod:`mlops_lab.reporting.html`): ``battery-cycles`` (model card, held-out figures with
bootstrap intervals, SHAP explanations) and ``battery-cycles-lstm`` (the same card and
figures, occlusion over its input window)."""

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
    models: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Normalised RMSE, macro-averaged over batteries, with 95 % bootstrap intervals.

    The held-out days are resampled in blocks of ``block_days`` consecutive days (the
    same days for every battery), so day-to-day correlation of the errors is kept.

    Args:
        forecasts: ``Date``, ``Battery_ID``, ``y_true`` and the forecast columns.
        history: The days the models were fitted on (each battery's target range).
        real_batteries: Batteries whose series is real; the others are simulated.
        models: Model name -> its forecast column (default: ``selected`` ``y_pred``
            and ``baseline`` ``y_baseline``).

    Returns:
        One row per model and series (``all``, ``real``, ``fleet``): ``batteries``,
        ``value``, ``low``, ``high``.
    """
    models = dict(models or {"selected": "y_pred", "baseline": "y_baseline"})
    missing = {DATE, BATTERY_ID, "y_true", *models.values()} - set(forecasts.columns)
    if missing:
        raise ValueError(f"battery_holdout_forecasts: missing columns {sorted(missing)}.")
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    groups = {"all": list(ranges.index)}
    groups["real"] = [b for b in ranges.index if b in set(real_batteries)]
    groups["fleet"] = [b for b in ranges.index if b not in set(real_batteries)]
    rows = []
    for model, column in models.items():
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


def data_line(history: pd.DataFrame, real: set[int]) -> str:
    """What the data are: batteries, dates, which series are real and which simulated."""
    batteries = sorted(history[BATTERY_ID].unique())
    simulated = [b for b in batteries if b not in real]
    dates = pd.to_datetime(history[DATE])
    return (
        f"Data: daily_battery_time_series, {len(batteries)} batteries, {dates.min().date()} "
        f"to {dates.max().date()} before the hold-out. Battery "
        f"{', '.join(map(str, sorted(real)))}: the lab's real series; batteries "
        f"{', '.join(map(str, simulated))}: simulated (battery_simulation, seeded)."
    )


HOLDOUT_NOTE = (
    "Held-out figures: each battery's last days, never seen in training or model "
    "selection. Intervals: percentile bootstrap over the held-out days in blocks of "
    "consecutive days (the same days for every battery)."
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
    challenger = promotion.get("challenger", {})
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
                        data_line(history, real),
                        f"Intended use: {card['intended_use']}",
                        f"Limitations: {card['limitations']}",
                        f"Promotion: {promotion.get('reason', 'not decided')}",
                    ]
                ),
                paragraph(
                    HOLDOUT_NOTE + " The selected configuration and the best naive baseline "
                    "are refitted on the days before them."
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


def lstm_report(
    holdout: pd.DataFrame,
    intervals: pd.DataFrame,
    history: pd.DataFrame,
    promotion: Mapping[str, Any],
    attribution: pd.DataFrame,
    card: Mapping[str, Any],
) -> str:
    """The ``battery-cycles-lstm`` report as one HTML string.

    Args:
        holdout: Per-battery held-out metrics (``battery_report_lstm_holdout``).
        intervals: :func:`holdout_intervals` of the LSTM's held-out forecasts.
        history: The days the LSTM was trained on.
        promotion: The gate's decision (``battery_cycles_lstm_promotion_report``).
        attribution: :func:`mlops_lab.battery.lstm_explanations.occlusion_table`.
        card: ``description``, ``intended_use``, ``limitations``, ``real_batteries``,
            ``block_days`` (of the attribution).
    """
    from mlops_lab.battery import lstm_explanations  # imports Keras: only when needed

    real = set(card["real_batteries"])
    challenger = promotion.get("challenger", {})
    whole = attribution[attribution["block"] == lstm_explanations.WHOLE_WINDOW]
    sections = [
        Section(
            "Model card",
            [
                items(
                    [
                        f"Model: {promotion.get('model_name', 'battery-cycles-lstm')} version "
                        f"{challenger.get('version', '?')}: {card['description']}",
                        "Forecasts: Daily_Cycles_Used of each battery for the next days at "
                        "once, from its last window of daily history",
                        data_line(history, real),
                        f"Intended use: {card['intended_use']}",
                        f"Limitations: {card['limitations']}",
                        f"Promotion: {promotion.get('reason', 'not decided')}",
                    ]
                ),
                paragraph(HOLDOUT_NOTE),
                table(_interval_table(intervals), caption="Normalised RMSE on the held-out days"),
                table(holdout, caption="Per battery (held-out days)"),
            ],
        ),
        Section(
            "Explanations",
            [
                paragraph(
                    "Occlusion over the input window: each feature is covered with its "
                    f"training mean over blocks of {card['block_days']} days (and over the "
                    "whole window), and the forecast is made again; the figure is the mean "
                    "absolute change of the forecast over every battery and forecast day "
                    f"({int(attribution['batteries'].iloc[0])} batteries' last windows)."
                ),
                image(
                    lstm_explanations.occlusion_figure(attribution, card["description"]),
                    "Where in its input window the LSTM's forecast comes from",
                ),
                table(
                    whole[["feature", "mean_abs_change"]].sort_values(
                        "mean_abs_change", ascending=False
                    ),
                    caption="Each feature covered over the whole window (cycles/day)",
                    digits=4,
                ),
            ],
        ),
    ]
    return render(
        "battery-cycles-lstm: model card and explanations",
        f"version {challenger.get('version', '?')}; battery "
        f"{', '.join(map(str, sorted(real)))} real, the others simulated",
        sections,
    )
