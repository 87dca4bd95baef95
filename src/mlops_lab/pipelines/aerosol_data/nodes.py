"""Nodes of ``aerosol_data``: thin wrappers around :mod:`mlops_lab.aerosol`.

The transformations themselves live in :mod:`mlops_lab.aerosol.preprocessing` so that
``classify_days`` and the registered model apply exactly the same steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pandas.errors import EmptyDataError, ParserError

from mlops_lab.aerosol.labels import CLASS_NAMES, label_schemes, parse_labels
from mlops_lab.aerosol.plots import surface_plot
from mlops_lab.aerosol.preprocessing import (
    PreprocessingConfig,
    clean_days,
    cube_to_frame,
    day_cube,
    scale_cube,
    sizes_on_grid,
    split_export,
)
from mlops_lab.validation import InputValidationError

logger = logging.getLogger(__name__)

LABELS_DATASET = "aerosol_labels_raw"

MODEL_INPUT_FORMAT = (
    "dict: x float32 (days, channels, steps) = log10(dN/dlogDp + log_offset) / log_max; "
    "dates datetime64[D] (days,); label5/label4/label3 str (days,); diameters_nm float64 "
    "(channels,); preprocessing dict (PreprocessingConfig); class_names dict; note str "
    "(what the DMPS data are)"
)


def parse_event_labels(raw_labels: pd.DataFrame) -> pd.DataFrame:
    """Validate the classification file; one row per day with its label or exclusion reason.

    Validation errors name the dataset (``aerosol_labels_raw``), the column and the rows.
    """
    parsed = parse_labels(raw_labels, LABELS_DATASET)
    logger.info(
        "Labels: %d days, %d with one class flag, %d excluded",
        len(parsed),
        parsed["label5"].notna().sum(),
        parsed["label5"].isna().sum(),
    )
    return parsed


def _load_partition(
    name: str, partition: Callable[[], pd.DataFrame] | pd.DataFrame
) -> pd.DataFrame:
    """A partition's frame (partitioned datasets give loaders, memory datasets frames)."""
    if isinstance(partition, pd.DataFrame):
        return partition
    try:
        return partition()
    except Exception as error:  # the dataset wraps pandas' errors
        cause = error.__cause__ or error
        if isinstance(cause, EmptyDataError | ParserError) or "No columns to parse" in str(error):
            raise InputValidationError(
                f"{name}: the file is empty or not CSV ({cause}); expected a SmartSMEAR "
                "export with a header row and one row per time step."
            ) from None
        raise


def parse_dmps_exports(
    raw_exports: dict[str, Callable[[], pd.DataFrame]], step_minutes: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Parse every export: timestamps, channels renamed to diameters (ascending), metadata.

    Args:
        raw_exports: Partitioned raw exports (``{file name: loader}``).
        step_minutes: Time step the timestamps are rounded to.

    Returns:
        ``(sizes, metadata)``: per file the size distribution on its own channel grid
        (columns = diameters in nm), and all files' instrument metadata in one table with
        a ``source`` column.
    """
    if not raw_exports:
        raise InputValidationError(
            "aerosol_dmps_raw: no DMPS export files found; expected SmartSMEAR CSV files in "
            "the dataset's folder (see its `path` in the catalog; `kedro run -p "
            "aerosol_simulation` writes simulated ones there)."
        )
    sizes, metadata = {}, []
    for name in sorted(raw_exports):
        raw = _load_partition(name, raw_exports[name])
        parsed, meta = split_export(raw, f"aerosol_dmps_raw/{name}", step_minutes)
        sizes[name] = parsed
        metadata.append(meta.assign(source=name))
        logger.info(
            "Parsed %s: %d rows, %d channels %.3g-%.4g nm",
            name,
            len(parsed),
            parsed.shape[1],
            float(parsed.columns[0]),
            float(parsed.columns[-1]),
        )
    return sizes, pd.concat(metadata).sort_index()


def map_to_model_grid(
    sizes: dict[str, Callable[[], pd.DataFrame]], preprocessing: dict[str, Any]
) -> pd.DataFrame:
    """Interpolate every file onto the model's fixed diameter grid and join them in time.

    Channels outside a file's measured range are missing (NaN); where files overlap in
    time, the first file (by name) wins.
    """
    config = PreprocessingConfig.from_dict(preprocessing)
    frames = [
        sizes_on_grid(_load_partition(name, sizes[name]), config.diameters_nm)
        for name in sorted(sizes)
    ]
    joined = pd.concat(frames)
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    logger.info(
        "On the model grid: %d rows, %d channels %.3g-%.4g nm",
        len(joined),
        config.n_channels,
        config.d_min_nm,
        config.d_max_nm,
    )
    return joined


def clean_dmps(
    on_grid: pd.DataFrame, preprocessing: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clip negatives, remove spikes, fill short gaps, keep complete days.

    Returns:
        ``(clean, quality)``: the cleaned series of kept days (every day 144 complete
        steps, dN/dlogDp) and one row per day with data: counts of negatives and
        spikes, missing shares before/after short-gap filling, kept or the reason not.
    """
    config = PreprocessingConfig.from_dict(preprocessing)
    cleaned = clean_days(on_grid, config)
    quality = cleaned.quality
    clean = cube_to_frame(cleaned.x, cleaned.dates, config)
    logger.info(
        "Cleaned DMPS: %d days with data, %d kept (complete), %d negatives set to 0, "
        "%d spikes removed",
        len(quality),
        int(quality["kept"].sum()),
        int(quality["negative_values"].sum()),
        int(quality["spikes"].sum()),
    )
    return clean, quality


def build_labels_table(parsed_labels: pd.DataFrame, day_quality: pd.DataFrame) -> pd.DataFrame:
    """Labels of the usable days (labelled and with a complete DMPS day) in 3 schemes.

    Returns:
        ``date, label5, label4, label3``, one row per usable day, sorted by date.
    """
    labelled = parsed_labels[parsed_labels["label5"].notna()]
    kept_dates = day_quality.loc[day_quality["kept"], "date"]
    usable = labelled[labelled["date"].isin(kept_dates)].reset_index(drop=True)
    table = pd.concat([usable[["date"]], label_schemes(usable["label5"])], axis=1)
    logger.info("Usable labelled days: %d %s", len(table), table["label3"].value_counts().to_dict())
    return table


def build_model_input(
    clean: pd.DataFrame, labels: pd.DataFrame, preprocessing: dict[str, Any], data_note: str
) -> dict[str, Any]:
    """Scaled day tensors of the labelled days, with dates, labels and the diameter grid.

    Args:
        data_note: What the DMPS data are (``aerosol_data.data_note``); carried as
            ``note`` to every figure and report made from this input.

    Returns:
        A plain dict of numpy arrays (see ``MODEL_INPUT_FORMAT``), pickled by the catalog.
    """
    config = PreprocessingConfig.from_dict(preprocessing)
    if labels.empty:
        raise ValueError(
            "aerosol_data: no usable labelled days (all excluded or no DMPS for the labelled "
            "days); see aerosol_data_report for the reasons."
        )
    cube, dates, _ = day_cube(clean, config.step_minutes)
    position = dates.get_indexer(pd.DatetimeIndex(labels["date"]))
    if (position < 0).any():
        raise ValueError("labels table has days that are not in the cleaned DMPS data.")
    x = scale_cube(cube[position], config)
    return {
        "x": x,
        "dates": pd.DatetimeIndex(labels["date"]).to_numpy().astype("datetime64[D]"),
        "label5": labels["label5"].to_numpy(dtype=str),
        "label4": labels["label4"].to_numpy(dtype=str),
        "label3": labels["label3"].to_numpy(dtype=str),
        "diameters_nm": config.diameters_nm,
        "preprocessing": config.to_dict(),
        "class_names": {scheme: list(names) for scheme, names in CLASS_NAMES.items()},
        "format": MODEL_INPUT_FORMAT,
        "note": data_note,
    }


def _dmps_period(day_quality: pd.DataFrame, parsed_labels: pd.DataFrame) -> pd.Series:
    """Which label days fall in the years the DMPS exports cover."""
    years = day_quality["date"].dt.year.unique()
    return parsed_labels["date"].dt.year.isin(years)


def _excluded_days(parsed_labels: pd.DataFrame, day_quality: pd.DataFrame) -> pd.DataFrame:
    """Every day of the covered years that is not usable, with its stage and reason."""
    in_period = parsed_labels[_dmps_period(day_quality, parsed_labels)]
    labelled = in_period.loc[in_period["label5"].notna(), "date"]
    with_data = day_quality["date"]
    parts = [
        in_period.loc[in_period["label5"].isna(), ["date", "exclusion_reason"]].assign(
            stage="labels"
        ),
        pd.DataFrame(
            {"date": labelled[~labelled.isin(with_data)], "exclusion_reason": "no DMPS data"}
        ).assign(stage="dmps"),
        day_quality.loc[~day_quality["kept"], ["date", "exclusion_reason"]].assign(stage="dmps"),
        pd.DataFrame(
            {
                "date": with_data[~with_data.isin(parsed_labels["date"])],
                "exclusion_reason": "not in the labels file",
            }
        ).assign(stage="labels"),
    ]
    excluded = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    if excluded.empty:
        return pd.DataFrame(columns=["date", "stage", "exclusion_reason"])
    # A day without a class is reported as such even when its DMPS data are bad too.
    excluded = excluded.sort_values(["date", "stage"], ascending=[True, False])
    excluded = excluded.drop_duplicates("date", keep="first")
    return excluded[["date", "stage", "exclusion_reason"]].reset_index(drop=True)


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0]


def build_data_report(
    parsed_labels: pd.DataFrame, day_quality: pd.DataFrame, labels: pd.DataFrame, data_note: str
) -> dict[str, Any]:
    """Rows per class and per month, missing data, excluded days with reasons.

    ``data_note`` says what the DMPS data are (``aerosol_data.data_note``).

    Returns:
        ``summary``: a JSON-able summary; ``monthly``: per month the usable days per
        3-class label and the mean missing shares; ``excluded``: every excluded day with
        its stage (labels or DMPS) and reason.
    """
    excluded = _excluded_days(parsed_labels, day_quality)
    quality = day_quality.assign(month=day_quality["date"].dt.strftime("%Y-%m"))
    counts = (
        labels.assign(month=labels["date"].dt.strftime("%Y-%m"))
        .pivot_table(index="month", columns="label3", values="date", aggfunc="count", fill_value=0)
        .reindex(columns=CLASS_NAMES["label3"], fill_value=0)
    )
    missing = quality.groupby("month")[["missing_fraction_raw", "missing_fraction"]].mean()
    monthly = (
        counts.join(missing, how="outer")
        .fillna({name: 0 for name in CLASS_NAMES["label3"]})
        .assign(days_with_dmps=quality.groupby("month").size())
        .rename_axis("month")
        .reset_index()
    )
    summary = {
        "note": data_note,
        "labels": {
            "days_in_file": len(parsed_labels),
            "days_with_one_class_flag": int(parsed_labels["label5"].notna().sum()),
            "days_in_dmps_years": int(_dmps_period(day_quality, parsed_labels).sum()),
            "dmps_years": sorted(int(y) for y in day_quality["date"].dt.year.unique()),
        },
        "dmps": {
            "days_with_data": len(day_quality),
            "days_kept_complete": int(day_quality["kept"].sum()),
            "negative_values_set_to_0": int(day_quality["negative_values"].sum()),
            "spikes_removed": int(day_quality["spikes"].sum()),
            "missing_share_before_filling": float(day_quality["missing_fraction_raw"].mean()),
            "missing_share_after_short_gap_filling": float(day_quality["missing_fraction"].mean()),
            "missing_share_of_kept_days_filled_afterwards": float(
                day_quality.loc[day_quality["kept"], "missing_fraction"].mean()
            )
            if day_quality["kept"].any()
            else 0.0,
        },
        "usable_days": len(labels),
        "class_counts": {
            scheme: {name: int((labels[scheme] == name).sum()) for name in CLASS_NAMES[scheme]}
            for scheme in ("label5", "label4", "label3")
        },
        "excluded_days": len(excluded),
        "excluded_by_reason": {
            str(k): int(v)
            for k, v in excluded["exclusion_reason"].map(_reason_kind).value_counts().items()
        },
    }
    logger.info("Data report: %s", summary["class_counts"]["label3"])
    return {"summary": summary, "monthly": monthly, "excluded": excluded}


def _example_date(labels: pd.DataFrame, preferred: list[list[str]]) -> pd.Timestamp | None:
    for scheme, name in preferred:
        chosen = labels.loc[labels[scheme] == name, "date"]
        if not chosen.empty:
            return pd.Timestamp(chosen.iloc[len(chosen) // 2])
    return None


def plot_example_days(
    clean: pd.DataFrame,
    labels: pd.DataFrame,
    preprocessing: dict[str, Any],
    example_days: dict[str, list[list[str]]],
    data_note: str,
) -> Figure:
    """Surface plot (time x diameter, log colour) of one example day per panel.

    Args:
        example_days: Panel title -> ``[scheme, class]`` pairs in order of preference
            (``aerosol_data.example_days``); each panel shows the middle day of the
            first pair that has days, so the choice is deterministic.
        data_note: What the DMPS data are, shown above the panels.
    """
    config = PreprocessingConfig.from_dict(preprocessing)
    chosen = [(_example_date(labels, preferred), kind) for kind, preferred in example_days.items()]
    cube, dates, _ = day_cube(clean, config.step_minutes)
    days, titles = [], []
    for date, kind in chosen:
        if date is None:
            continue
        label = labels.loc[labels["date"] == date, "label5"].iloc[0]
        days.append(cube[dates.get_loc(date)].T)
        titles.append(f"{date:%Y-%m-%d}: {kind} (class {label})")
    if not days:
        raise ValueError(
            f"aerosol_data: no day of any class in aerosol_data.example_days "
            f"({list(example_days)}) to plot."
        )
    return surface_plot(days, titles, config.diameters_nm, config.step_minutes, data_note)
