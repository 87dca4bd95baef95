"""The promotion gate: ``challenger`` becomes ``champion`` only when it is at least as good.

Each training pipeline ends with two nodes. A lane node scores the new version (loaded as
``@challenger``) and the current ``@champion`` on the same held-out data with the
problem's primary metric; :func:`decide_promotion` (shared by every lane) turns the two
scores into a decision, which :class:`mlops_lab.registry.ChampionAliasDataset` applies
and a versioned JSON report keeps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mlops_lab.registry import RegisteredModel

logger = logging.getLogger(__name__)


def decide_promotion(
    challenger: RegisteredModel,
    champion: RegisteredModel | None,
    scores: Mapping[str, Any],
    gate: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decide whether the challenger replaces the champion.

    Args:
        challenger: The version just registered (``@challenger``).
        champion: The current ``@champion``, or None when there is none yet.
        scores: ``{"challenger": float, "champion": float | None, "data": str}``: both
            models scored on the same held-out data (``data`` says which); optionally
            ``"challenger_metrics"``: further held-out figures of the challenger
            (``{"aerosol.heldout.cnn.macro_f1": 0.88}``), written onto its version's tags.
        gate: ``{"metric": str, "greater_is_better": bool, "min_improvement": float}``.

    Returns:
        The decision twice: for the champion alias dataset and for the versioned report.

    Raises:
        ValueError: when the challenger's score is missing or not finite, or the champion
            has a version but no score.
    """
    metric = str(gate["metric"])
    greater = bool(gate.get("greater_is_better", True))
    margin = float(gate.get("min_improvement", 0.0))
    challenger_score = _finite(scores.get("challenger"), f"scores.challenger ({metric})")
    decision: dict[str, Any] = {
        "model_name": challenger.name,
        "metric": metric,
        "greater_is_better": greater,
        "min_improvement": margin,
        "data": str(scores.get("data", "")),
        "challenger": {
            "version": challenger.version,
            "run_id": challenger.run_id,
            "score": challenger_score,
            "metrics": {
                str(k): float(v) for k, v in (scores.get("challenger_metrics") or {}).items()
            },
        },
        "champion": None,
        "decided_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if champion is None:
        decision |= {"promoted": True, "reason": "no champion yet: the challenger becomes it"}
    elif champion.version == challenger.version:
        decision["champion"] = {"version": champion.version, "score": challenger_score}
        decision |= {"promoted": True, "reason": "the challenger already is the champion"}
    else:
        champion_score = _finite(scores.get("champion"), f"scores.champion ({metric})")
        decision["champion"] = {
            "version": champion.version,
            "run_id": champion.run_id,
            "score": champion_score,
        }
        gain = challenger_score - champion_score if greater else champion_score - challenger_score
        promoted = gain >= margin
        comparison = "at least as good as" if promoted else "worse than"
        decision |= {
            "promoted": promoted,
            "reason": (
                f"challenger v{challenger.version} {metric}={challenger_score:.6g} is "
                f"{comparison} champion v{champion.version} {metric}={champion_score:.6g} "
                f"({'higher' if greater else 'lower'} is better, required gain {margin:g}, "
                f"gain {gain:.6g})"
            ),
        }
    logger.info("Promotion of %s v%s: %s", challenger.name, challenger.version, decision["reason"])
    return decision, decision


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Promotion gate: {what} must be a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise ValueError(f"Promotion gate: {what} must be finite, got {number}.")
    return number
