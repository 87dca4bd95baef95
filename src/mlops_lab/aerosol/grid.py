"""SmartSMEAR DMPS channel names and particle-diameter grids.

A SmartSMEAR export names each size channel ``<STATION>_DMPS.dNNNeE``: the channel's
diameter in nm is ``NNN / 1000 * 10**E`` (``HYY_DMPS.d316e1`` = 3.16 nm,
``HYY_DMPS.d100e2`` = 10 nm, ``HYY_DMPS.d100e4`` = 1000 nm). Instruments change, so the
channels differ between periods; :func:`map_to_grid` puts any of them on one fixed grid.
"""

from __future__ import annotations

import math
import re

import numpy as np

CHANNEL_PATTERN = re.compile(
    r"^(?P<station>[A-Z0-9]+)_DMPS\.d(?P<mantissa>\d{3})e(?P<exponent>-?\d+)$"
)
METADATA_PATTERN = re.compile(r"^(?P<station>[A-Z0-9]+)_DMPS\.(?P<name>t1|t2|p1|p2|rh1|rh2|tconc)$")
METADATA_NAMES = ("t1", "t2", "p1", "p2", "rh1", "rh2", "tconc")


def is_channel(column: str) -> bool:
    """Whether ``column`` is a size-channel column (``XXX_DMPS.dNNNeE``)."""
    return CHANNEL_PATTERN.match(str(column)) is not None


def is_metadata(column: str) -> bool:
    """Whether ``column`` is an instrument metadata column (``XXX_DMPS.t1`` ...)."""
    return METADATA_PATTERN.match(str(column)) is not None


def channel_diameter_nm(column: str) -> float:
    """Diameter in nm encoded in a channel name: ``NNN / 1000 * 10**E``.

    Raises:
        ValueError: ``column`` is not a channel name.
    """
    match = CHANNEL_PATTERN.match(str(column))
    if match is None:
        raise ValueError(
            f"'{column}' is not a DMPS channel name; expected e.g. 'HYY_DMPS.d316e1' (3.16 nm)."
        )
    return float(f"{match['mantissa']}e{int(match['exponent']) - 3}")


def channel_name(diameter_nm: float, station: str = "HYY") -> str:
    """SmartSMEAR channel name of a diameter, three significant digits (inverse of above)."""
    exponent = math.floor(math.log10(diameter_nm)) + 1
    mantissa = round(diameter_nm / 10**exponent * 1000)
    if mantissa >= 1000:
        mantissa, exponent = 100, exponent + 1
    return f"{station}_DMPS.d{mantissa:03d}e{exponent}"


def log_grid(d_min_nm: float, d_max_nm: float, n_channels: int) -> np.ndarray:
    """``n_channels`` log-spaced diameters from ``d_min_nm`` to ``d_max_nm`` inclusive."""
    if not 0 < d_min_nm < d_max_nm or n_channels < 2:
        raise ValueError(
            f"invalid grid {d_min_nm}-{d_max_nm} nm with {n_channels} channels; expected "
            "0 < d_min < d_max and at least 2 channels."
        )
    return np.geomspace(d_min_nm, d_max_nm, n_channels)


def map_to_grid(
    values: np.ndarray, diameters_in: np.ndarray, diameters_out: np.ndarray
) -> np.ndarray:
    """Interpolate rows of ``values`` from one diameter grid to another in log-diameter.

    Args:
        values: ``rows x len(diameters_in)`` dN/dlogDp, NaN where missing.
        diameters_in: ascending input diameters (nm).
        diameters_out: ascending output diameters (nm).

    Returns:
        ``rows x len(diameters_out)``; output channels outside the measured range, and
        those next to a missing input channel, are NaN (missing data, not extrapolated).
    """
    values = np.asarray(values, dtype=float)
    log_in = np.log10(np.asarray(diameters_in, dtype=float))
    log_out = np.log10(np.asarray(diameters_out, dtype=float))
    if values.ndim != 2 or values.shape[1] != log_in.size:
        raise ValueError(
            f"values have shape {values.shape}; expected rows x {log_in.size} input channels."
        )
    if np.any(np.diff(log_in) <= 0):
        raise ValueError("input diameters must be strictly ascending.")
    tolerance = 1e-6
    inside = (log_out >= log_in[0] - tolerance) & (log_out <= log_in[-1] + tolerance)
    clipped = np.clip(log_out, log_in[0], log_in[-1])
    upper = np.clip(np.searchsorted(log_in, clipped, side="left"), 1, log_in.size - 1)
    lower = upper - 1
    weight = (clipped - log_in[lower]) / (log_in[upper] - log_in[lower])
    weight = np.clip(weight, 0.0, 1.0)
    low_values, high_values = values[:, lower], values[:, upper]
    with np.errstate(invalid="ignore"):
        mapped = (1 - weight) * low_values + weight * high_values
    # An exact hit on an input channel does not depend on its (maybe missing) neighbour.
    mapped = np.where(weight <= tolerance, low_values, mapped)
    mapped = np.where(weight >= 1 - tolerance, high_values, mapped)
    mapped[:, ~inside] = np.nan
    return mapped
