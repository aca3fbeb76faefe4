"""Plot results.json: wall time against containers (3 and 6 ships) and against ships (12 ships and more),
one line per tool (min to median as a band).

Run with a Python that has matplotlib (make bench uses the community venv's):
    bench/.venv-community/bin/python bench/plot.py bench/results/results.json bench/results/results.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src: str, dst: str) -> int:
    with open(src) as fh:
        results = json.load(fh)
    rows = [r for r in results["summary"] if "median" in r]
    many = [r for r in rows if int(r["size"].split("x")[0]) >= 12]
    fig, axes = plt.subplots(1, 2 if many else 1, figsize=(13 if many else 8, 5), dpi=120, squeeze=False)
    ax = axes[0][0]
    for tool in dict.fromkeys(r["tool"] for r in rows):
        color = None  # one color per tool: filled circles joined for 3 ships, open squares for 6
        for ships, style in ((3, "-o"), (6, "s")):
            mine = sorted((r for r in rows if r["tool"] == tool and r["size"].startswith(f"{ships}x")), key=lambda r: r["containers"])
            if not mine:
                continue
            x = [r["containers"] for r in mine]
            fill = "none" if ships == 6 else "full"
            (line,) = ax.plot(x, [r["median"] for r in mine], style, color=color, label=f"{tool} ({ships} ships)", markersize=7, fillstyle=fill)
            color = line.get_color()
            ax.vlines(x, [r["min"] for r in mine], [r["median"] for r in mine], color=color, alpha=0.5)
    for tool, why in results["unavailable"].items():
        ax.plot([], [], " ", label=f"{tool}: {why.split(':')[0]}")
    ax.set_xlabel("containers (ships x instances per ship)")
    ax.set_ylabel("seconds, median (bar down to min), log scale")
    ax.set_yscale("log")
    m = results["machine"]
    ax.set_title(f"pull + stop + clean + start, whole commands\n{m['nproc']} CPUs {m['cpu_model']}, {results['started'][:10]}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if many:
        right = axes[0][1]
        for tool in dict.fromkeys(r["tool"] for r in many):
            mine = sorted((r for r in many if r["tool"] == tool), key=lambda r: int(r["size"].split("x")[0]))
            x = [int(r["size"].split("x")[0]) for r in mine]
            (line,) = right.plot(x, [r["median"] for r in mine], "-o", label=tool, markersize=7)
            right.vlines(x, [r["min"] for r in mine], [r["median"] for r in mine], color=line.get_color(), alpha=0.5)
        right.set_xlabel("ships (sizes " + ", ".join(dict.fromkeys(r["size"] for r in many)) + ")")
        right.set_ylabel("seconds, median (bar down to min)")
        right.set_title("against ship count", fontsize=9)
        right.grid(True, alpha=0.3)
        right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
