"""``--params`` of the benchmarks: ``a.b=1,c.d=x`` to nested runtime parameters.

Parsed as ``kedro run --params`` parses them (OmegaConf dot-list, values typed), and
checked against the project's ``conf/base/parameters*.yml``: a benchmark that passed a
misspelt key (``n_text=32000``) to Kedro would quietly measure the defaults, so an item
without ``=`` or a key that is not a parameter stops the benchmark before it starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def base_parameters(conf: Path = PROJECT_ROOT / "conf" / "base") -> dict[str, Any]:
    """The parameters of every ``parameters*.yml`` in ``conf``, merged."""
    from omegaconf import OmegaConf

    files = sorted(conf.glob("parameters*.yml"))
    if not files:
        return {}
    return OmegaConf.to_container(OmegaConf.merge(*(OmegaConf.load(path) for path in files)))


def _unknown(key: str, known: dict[str, Any]) -> str | None:
    """Why the dotted ``key`` is not a parameter of ``known``, or ``None`` when it is."""
    level: Any = known
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(level, dict) or part not in level:
            where = ".".join(parts[:depth]) or "the top level"
            choices = sorted(level) if isinstance(level, dict) else []
            shown = ", ".join(choices[:12]) + (" ..." if len(choices) > 12 else "")
            return f"'{key}': no '{part}' under {where}" + (f" (has {shown})" if shown else "")
        level = level[part]
    return None


def runtime_params(text: str, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """``a.b=1,c=x`` to ``{"a": {"b": 1}, "c": "x"}``, every key checked against ``known``.

    Args:
        text: comma-separated ``dotted.key=value`` items (empty: no parameters).
        known: the parameters a key must name; by default :func:`base_parameters`.

    Raises:
        ValueError: naming each item without ``=`` and each key that is not a parameter.
    """
    from omegaconf import OmegaConf

    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        return {}
    known = base_parameters() if known is None else known
    problems = [f"'{item}': expected key=value" for item in items if "=" not in item]
    problems += [
        reason
        for item in items
        if "=" in item and (reason := _unknown(item.split("=", 1)[0].strip(), known))
    ]
    if problems:
        raise ValueError(
            f"--params {text!r}: " + "; ".join(problems) + " (keys of conf/base/parameters*.yml)"
        )
    return OmegaConf.to_container(OmegaConf.from_dotlist(items))
