"""Agreement metrics for comparing a scorer with human labels, stdlib only.

Conventions follow the USS paper's evaluation where it is sound, and standard statistics where it
is not (its "Spearman" ranks ties at their minimum, which is not a correlation; ours averages them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

LABELS = (1, 2, 3, 4, 5)


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing the mean of the ranks they span (as scipy's rankdata)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """NaN when either side is constant: a constant predictor has no defined correlation."""
    if len(xs) != len(ys):
        raise ValueError("pearson needs two sequences of the same length")
    n = len(xs)
    if n < 2:
        return math.nan
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if var_x == 0 or var_y == 0:
        return math.nan
    return cov / math.sqrt(var_x * var_y)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rho with average ranks for ties: Pearson's r of the ranks."""
    return pearson(average_ranks(xs), average_ranks(ys))


def uar(gold: Sequence[int], predicted: Sequence[int], labels: Sequence[int] = LABELS) -> float:
    """Unweighted average recall over `labels`; a label nobody carries counts as recall 0.

    That is the USS paper's convention, and it keeps the constant-3 floor at exactly 1/5.
    """
    recalls = []
    for label in labels:
        carriers = [p for g, p in zip(gold, predicted, strict=True) if g == label]
        recalls.append(sum(p == label for p in carriers) / len(carriers) if carriers else 0.0)
    return sum(recalls) / len(labels)


def cohen_kappa(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Unweighted Cohen's kappa; 0 when chance agreement is already perfect."""
    n = len(gold)
    if n == 0 or n != len(predicted):
        raise ValueError("cohen_kappa needs two non-empty sequences of the same length")
    observed = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    expected = sum(gold_counts[k] * predicted_counts[k] for k in gold_counts) / (n * n)
    if expected == 1.0:
        return 0.0
    return (observed - expected) / (1.0 - expected)


def f1(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Binary F1 of the positive class; 0 when there is no true positive."""
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def accuracy(gold: Sequence[object], predicted: Sequence[object]) -> float:
    pairs = list(zip(gold, predicted, strict=True))
    return sum(g == p for g, p in pairs) / len(pairs) if pairs else math.nan


def majority_label(ratings: Sequence[int]) -> int:
    """The most frequent rating, a tie going to the lower one (USS get_main_score, STC-3 alike)."""
    counts = Counter(ratings)
    return min(counts, key=lambda rating: (-counts[rating], rating))


def dissatisfied(labels: Sequence[int]) -> list[bool]:
    return [label <= 2 for label in labels]
