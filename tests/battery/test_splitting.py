"""Rolling-origin splitter: fold boundaries, too-short series, hold-out split."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.splitting import (
    SeriesTooShortError,
    minimum_history,
    rolling_origin_folds,
    split_last_days,
)


def test_folds_validate_the_horizon_after_each_origin_per_battery(series: pd.DataFrame) -> None:
    folds = rolling_origin_folds(series, n_folds=3, step=20, horizon=30, min_train_days=60)
    assert [f.number for f in folds] == [0, 1, 2]
    for fold in folds:
        train, valid = series.loc[fold.train_index], series.loc[fold.valid_index]
        assert valid.groupby("Battery_ID").size().to_dict() == {1: 30, 2: 30}
        for battery_id in (1, 2):
            last_train = train.loc[train["Battery_ID"] == battery_id, "Date"].max()
            days = valid.loc[valid["Battery_ID"] == battery_id, "Date"]
            assert days.min() == last_train + pd.Timedelta(days=1)  # no gap, no overlap
    last = series.groupby("Battery_ID")["Date"].max()
    final = series.loc[folds[-1].valid_index]
    assert (final.groupby("Battery_ID")["Date"].max() == last).all()  # last fold ends at the end
    # Origins move by `step` days.
    first_valid = [series.loc[f.valid_index].groupby("Battery_ID")["Date"].min()[1] for f in folds]
    assert [(b - a).days for a, b in itertools.pairwise(first_valid)] == [20, 20]


def test_a_series_too_short_for_the_folds_gets_a_clear_error() -> None:
    needed = minimum_history(n_folds=3, step=30, horizon=30, min_train_days=60)
    assert needed == 150
    short = make_series({1: 400, 7: needed - 1})
    with pytest.raises(SeriesTooShortError, match=r"Battery 7 has 149 days.*at least 150 days"):
        rolling_origin_folds(short, n_folds=3, step=30, horizon=30, min_train_days=60)
    rolling_origin_folds(
        make_series({7: needed}), n_folds=3, step=30, horizon=30, min_train_days=60
    )


def test_split_last_days_holds_out_each_batterys_end(series: pd.DataFrame) -> None:
    history, holdout = split_last_days(series, 30)
    assert holdout.groupby("Battery_ID").size().to_dict() == {1: 30, 2: 30}
    assert len(history) + len(holdout) == len(series)
    assert (
        history.groupby("Battery_ID")["Date"].max() < holdout.groupby("Battery_ID")["Date"].min()
    ).all()
