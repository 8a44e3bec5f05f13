"""How well the offline scorer agrees with human labels on public data (STC-3 DCH-1 and USS).

Run from the repo root:  .venv/bin/python benchmarks/offline_agreement.py

The data are read in place from ../shared/data/external (or $POWERPULSE_EXTERNAL_DATA) and never
copied into the repository; when they are absent the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script, `benchmarks` is not importable otherwise
    sys.path.insert(0, str(REPO))

from benchmarks.agreement_metrics import (  # noqa: E402
    accuracy,
    cohen_kappa,
    dissatisfied,
    f1,
    majority_label,
    spearman,
    uar,
)
from powerpulse_pipeline.ingest.records import AGENT, CUSTOMER  # noqa: E402
from powerpulse_pipeline.scoring.base import Transcript, make_transcript  # noqa: E402
from powerpulse_pipeline.scoring.offline import (  # noqa: E402
    VERSION,
    resolution_score,
    score_transcript,
)

STC3_FILE = Path("stc3-dch1") / "train_data_en.sample300.json"
USS_SUBSETS = ("MWOZ", "SGD", "ReDial", "CCPE")
# Measured by the team on the same 300 STC-3 dialogues (not recomputed here).
ANCHORS = {
    "VADER (customer text)": {"sat_rho": 0.35, "res_rho": 0.29},
    "one human vs other 18": {"sat_rho": 0.56, "res_rho": 0.44},
}


def external_root() -> Path:
    override = os.environ.get("POWERPULSE_EXTERNAL_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "external"


@dataclass(frozen=True)
class Stc3Dialogue:
    transcript: Transcript
    mean_a: float  # -2..2
    mean_s: float  # -2..2
    majority_s: int  # 1..5 (S + 3)


@dataclass(frozen=True)
class UssDialogue:
    transcript: Transcript
    overall: int  # 1..5, majority with ties to the lower rating


def load_stc3(path: Path) -> list[Stc3Dialogue]:
    roles = {"customer": CUSTOMER, "helpdesk": AGENT}
    dialogues = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        turns = [(roles[t["sender"]], " ".join(t["utterances"]).strip()) for t in item["turns"]]
        a_scores = [a["quality"]["A"] for a in item["annotations"]]
        s_scores = [a["quality"]["S"] for a in item["annotations"]]
        dialogues.append(
            Stc3Dialogue(
                transcript=make_transcript(turns),
                mean_a=statistics.fmean(a_scores),
                mean_s=statistics.fmean(s_scores),
                majority_s=majority_label(s_scores) + 3,
            )
        )
    return dialogues


def load_uss(path: Path) -> list[UssDialogue]:
    roles = {"USER": CUSTOMER, "SYSTEM": AGENT}
    dialogues = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line.split("\t") for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        *utterances, overall = lines
        if overall[1] != "OVERALL":
            raise ValueError(f"{path.name}: a dialogue does not end with its OVERALL line")
        ratings = [int(r) for r in overall[3].split(",") if r.strip()]
        turns = [(roles[fields[0]], fields[1]) for fields in utterances]
        dialogues.append(UssDialogue(make_transcript(turns), majority_label(ratings)))
    return dialogues


def satisfaction_metrics(
    gold_labels: Sequence[int], predicted: Sequence[int], gold_continuous: Sequence[float]
) -> dict[str, float]:
    return {
        "rho": spearman(predicted, gold_continuous),
        "uar": uar(gold_labels, predicted),
        "kappa": cohen_kappa(gold_labels, predicted),
        "f1_dissatisfied": f1(dissatisfied(gold_labels), dissatisfied(predicted)),
    }


def evaluate_stc3(dialogues: Sequence[Stc3Dialogue]) -> dict[str, float]:
    records = [score_transcript(d.transcript) for d in dialogues]
    predicted = [r.satisfaction or 3 for r in records]
    gold_resolved = [d.mean_a > 0 for d in dialogues]
    resolved = [bool(r.resolved) for r in records]
    sat = satisfaction_metrics(
        [d.majority_s for d in dialogues], predicted, [d.mean_s for d in dialogues]
    )
    return {
        **{f"sat_{key}": value for key, value in sat.items()},
        "res_rho": spearman(
            [resolution_score(d.transcript) for d in dialogues], [d.mean_a for d in dialogues]
        ),
        "res_f1": f1(gold_resolved, resolved),
        "res_accuracy": accuracy(gold_resolved, resolved),
        "res_share_gold": sum(gold_resolved) / len(dialogues),
        "res_share_predicted": sum(resolved) / len(dialogues),
    }


def evaluate_uss(dialogues: Sequence[UssDialogue]) -> dict[str, float]:
    gold = [d.overall for d in dialogues]
    predicted = [score_transcript(d.transcript).satisfaction or 3 for d in dialogues]
    return satisfaction_metrics(gold, predicted, gold)


def constant_three(gold_labels: Sequence[int]) -> dict[str, float]:
    constant = [3] * len(gold_labels)
    return satisfaction_metrics(gold_labels, constant, gold_labels)


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(header))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))


def report_stc3(dialogues: Sequence[Stc3Dialogue]) -> None:
    ours = evaluate_stc3(dialogues)
    const = constant_three([d.majority_s for d in dialogues])
    not_resolved_accuracy = 1 - ours["res_share_gold"]
    human, vader = ANCHORS["one human vs other 18"], ANCHORS["VADER (customer text)"]
    header = [f"STC-3 (n={len(dialogues)})", f"offline:{VERSION}", "constant", "VADER", "human"]
    rows = [
        ["satisfaction rho vs mean S", fmt(ours["sat_rho"]), fmt(const["rho"]),
         fmt(vader["sat_rho"]), fmt(human["sat_rho"])],
        ["satisfaction UAR (5 classes)", fmt(ours["sat_uar"]), fmt(const["uar"]), "-", "-"],
        ["satisfaction kappa", fmt(ours["sat_kappa"]), fmt(const["kappa"]), "-", "-"],
        ["satisfaction F1 dissatisfied", fmt(ours["sat_f1_dissatisfied"]),
         fmt(const["f1_dissatisfied"]), "-", "-"],
        ["resolution rho vs mean A", fmt(ours["res_rho"]), "n/a",
         fmt(vader["res_rho"]), fmt(human["res_rho"])],
        ["resolved F1 (gold: mean A > 0)", fmt(ours["res_f1"]), fmt(0.0), "-", "-"],
        ["resolved accuracy", fmt(ours["res_accuracy"]), fmt(not_resolved_accuracy), "-", "-"],
    ]  # fmt: skip
    print_table("STC-3 DCH-1 English sample", header, rows)
    print(
        "constant = satisfaction 3 / resolved False; VADER and human are the team's anchors. "
        f"Resolved share: gold {ours['res_share_gold']:.2f}, "
        f"predicted {ours['res_share_predicted']:.2f}."
    )
    print(
        "Predicted satisfaction 1..5:",
        dict(
            sorted(Counter(score_transcript(d.transcript).satisfaction for d in dialogues).items())
        ),
        " gold majority 1..5:",
        dict(sorted(Counter(d.majority_s for d in dialogues).items())),
    )
    # The rules were written looking at the even-position half only; the odd half is the check
    # that they carry over to dialogues nobody tuned against.
    for name, part in (
        ("even (development)", dialogues[0::2]),
        ("odd (held out)", dialogues[1::2]),
    ):
        figures = evaluate_stc3(part)
        print(
            f"  {name} half, n={len(part)}: satisfaction rho {fmt(figures['sat_rho'])}, "
            f"resolution rho {fmt(figures['res_rho'])}"
        )


def report_uss(root: Path) -> None:
    rows = []
    for subset in USS_SUBSETS:
        path = root / "uss" / f"{subset}.sample.txt"
        if not path.exists():
            rows.append([subset, "missing", *["-"] * 8])
            continue
        dialogues = load_uss(path)
        ours = evaluate_uss(dialogues)
        const = constant_three([d.overall for d in dialogues])
        rows.append(
            [
                f"{subset} (n={len(dialogues)})",
                fmt(ours["rho"]),
                fmt(ours["uar"]),
                fmt(ours["kappa"]),
                fmt(ours["f1_dissatisfied"]),
                fmt(const["rho"]),
                fmt(const["uar"]),
                fmt(const["kappa"]),
                fmt(const["f1_dissatisfied"]),
            ]
        )
    header = [
        "USS OVERALL",
        "rho",
        "UAR",
        "kappa",
        "F1 dis",
        "c3 rho",
        "c3 UAR",
        "c3 kappa",
        "c3 F1",
    ]
    print_table(
        f"USS dialogue-level satisfaction, offline:{VERSION} vs constant 3 (c3)", header, rows
    )
    print("rho is standard Spearman (average ranks) against the majority OVERALL rating.")


def throughput(transcripts: Sequence[Transcript], repeat: int = 3) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for transcript in transcripts:
            score_transcript(transcript)
    return repeat * len(transcripts) / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    root = external_root()
    if not root.is_dir():
        print(
            f"SKIPPED: external evaluation data not found at {root} (set POWERPULSE_EXTERNAL_DATA)"
        )
        return 0
    stc3_path = root / STC3_FILE
    if stc3_path.exists():
        dialogues = load_stc3(stc3_path)
        report_stc3(dialogues)
        speed = throughput([d.transcript for d in dialogues])
        print(f"Throughput on STC-3 dialogues: {speed:,.0f} conversations/s (one core)")
    else:
        print(f"STC-3 skipped: {stc3_path} not found")
    report_uss(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
