"""Prediction-time framings: when the prediction is made, and which features exist then.

A framing is a parameter set (``maintenance_training.framings``)::

    at_purchase:
      when: when the car is sold
      features: [car_make, engine_type, purchase_year, purchase_month]

Training fits every candidate under every framing, so the report shows side by side how
much of a score comes from information that only exists later (the car's age at a
visit) or never at prediction time (the odometer reading the label is recorded from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_lab.maintenance.features import FEATURE_COLUMNS, raw_fields_for


@dataclass(frozen=True)
class Framing:
    """One prediction-time framing: its name, when it applies and its features."""

    name: str
    when: str
    features: tuple[str, ...]

    @property
    def raw_fields(self) -> tuple[str, ...]:
        """The raw-file fields a caller must send for a prediction under this framing."""
        return raw_fields_for(self.features)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "when": self.when,
            "features": list(self.features),
            "raw_fields": list(self.raw_fields),
        }


def parse_framings(config: Mapping[str, Any]) -> dict[str, Framing]:
    """The configured framings, checked.

    Raises:
        ValueError: naming the framing and field that is missing, empty or unknown.
    """
    if not isinstance(config, Mapping) or not config:
        raise ValueError("maintenance_training.framings: expected a non-empty mapping.")
    framings = {}
    for name, spec in config.items():
        where = f"maintenance_training.framings.{name}"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: expected a mapping with 'when' and 'features'.")
        features = spec.get("features")
        if not isinstance(features, list) or not features:
            raise ValueError(f"{where}.features: expected a non-empty list of feature names.")
        unknown = [f for f in features if f not in FEATURE_COLUMNS]
        if unknown:
            raise ValueError(
                f"{where}.features: unknown {unknown}; known features: {list(FEATURE_COLUMNS)}."
            )
        if not str(spec.get("when") or "").strip():
            raise ValueError(f"{where}.when: say when the prediction is made.")
        framings[str(name)] = Framing(str(name), str(spec["when"]).strip(), tuple(features))
    return framings
