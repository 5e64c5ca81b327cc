"""``mastra stats --plot``: reward and latency per group over time, as a PNG (matplotlib, optional)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INSTALL_HINT = "`mastra stats --plot` needs matplotlib: pip install 'mastra[plot]'"


def plot_summary(summary: dict[str, Any], out: str | Path, *, top: int = 8) -> Path:
    """Two panels sharing the time axis: mean reward and p50 latency per hour, one line per group
    (the ``top`` groups by requests). Raises ``ImportError`` with how to install matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc

    fig, (reward_ax, latency_ax) = plt.subplots(2, 1, sharex=True, figsize=(10, 6.5))
    for group in summary["groups"][:top]:
        points = group["series"]
        rewards = [(datetime.fromtimestamp(p["t"], UTC), p["reward"]) for p in points if p["reward"] is not None]
        latency = [(datetime.fromtimestamp(p["t"], UTC), p["latency_p50"]) for p in points if p["latency_p50"]]
        if rewards:
            reward_ax.plot(*zip(*rewards, strict=True), marker="o", label=group["key"])
        if latency:
            latency_ax.plot(*zip(*latency, strict=True), marker="o", label=group["key"])
    reward_ax.set_ylabel("mean reward")
    reward_ax.set_ylim(-0.05, 1.05)
    latency_ax.set_ylabel("p50 latency (ms)")
    latency_ax.set_xlabel("hour (UTC)")
    since = datetime.fromtimestamp(summary["since"], UTC).strftime("%Y-%m-%d %H:%M")
    until = datetime.fromtimestamp(summary["until"], UTC).strftime("%Y-%m-%d %H:%M")
    reward_ax.set_title(f"by {summary['by']}, {since} to {until} UTC")
    for ax in (reward_ax, latency_ax):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small", loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    return path
