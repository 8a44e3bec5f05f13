"""Recurring issues: a period's conversations grouped by what their customers wrote.

k-means (scikit-learn) on the unit vectors with k = round(sqrt(n)), the textbook rule for a
number of groups nobody knows in advance: on BANKING77's 10,003 queries it makes 100 groups
for 77 intents, NMI 0.78 (benchmarks/similarity_quality.py). A group needs two conversations;
a conversation alone in its group belongs to none. Labels are the group's most distinctive
words (class-based TF-IDF: frequent in the group, rare in the period's other groups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

MIN_GROUP = 2
KEYWORDS = 3
EXAMPLES = 3
# Full k-means up to this many conversations; mini-batches beyond (a month at scale).
FULL_KMEANS_MAX = 20_000
SEED = 0


@dataclass
class Group:
    members: np.ndarray  # row indices, nearest the centre first
    similarities: np.ndarray  # cosine of each member to the centre
    centre: np.ndarray  # unit vector
    keywords: list[str]
    previous: int = 0

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        return ", ".join(self.keywords) if self.keywords else "(no words)"


def group_count(n: int) -> int:
    return max(1, round(math.sqrt(n)))


def assign(vectors: np.ndarray) -> np.ndarray:
    """A group number per row (k-means, fixed seed: the same vectors give the same groups)."""
    n = len(vectors)
    # Never more groups than distinct vectors (conversations with the same text share one).
    k = min(group_count(n), len(np.unique(vectors, axis=0)))
    if k <= 1:
        return np.zeros(n, np.int64)
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if n <= FULL_KMEANS_MAX:
        model = KMeans(k, n_init=1, random_state=SEED)
    else:
        model = MiniBatchKMeans(k, n_init=3, random_state=SEED, batch_size=4096)
    return model.fit_predict(vectors).astype(np.int64)


def find_groups(
    vectors: np.ndarray, texts: list[str], ids: list[str], previous: np.ndarray | None = None
) -> list[Group]:
    """The period's groups, largest first (ties: the smallest member id); `previous` holds
    the period before's vectors, counted for the group whose centre they are nearest, when
    they are at least as close to it as its farthest member."""
    if len(vectors) < MIN_GROUP:
        return []
    labels = assign(vectors)
    groups: list[Group] = []
    for number in np.unique(labels):
        rows = np.flatnonzero(labels == number)
        if len(rows) < MIN_GROUP:
            continue
        centre = vectors[rows].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        similarities = vectors[rows] @ centre
        order = sorted(range(len(rows)), key=lambda i: (-similarities[i], ids[rows[i]]))
        groups.append(Group(rows[order], similarities[order], centre, []))
    groups.sort(key=lambda g: (-g.size, min(ids[i] for i in g.members)))
    _keywords(groups, texts)
    if previous is not None and len(previous) and groups:
        centres = np.stack([g.centre for g in groups])
        closeness = previous @ centres.T
        nearest = closeness.argmax(axis=1)
        best = closeness[np.arange(len(previous)), nearest]
        for number, group in enumerate(groups):
            group.previous = int(((nearest == number) & (best >= group.similarities.min())).sum())
    return groups


@cache
def stop_words() -> list[str]:
    """English's, and the function words, greetings and thanks of the other languages the
    offline scorer reads: "hola, gracias" says nothing about what went wrong."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from ..scoring import lexicon

    words = set(ENGLISH_STOP_WORDS) | lexicon.EN_GRATITUDE
    for group in (*lexicon.LANGUAGE_HINTS.values(), *lexicon.OTHER_GRATITUDE.values()):
        words |= group
    return sorted(words)


def _keywords(groups: list[Group], texts: list[str]) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    documents = [" ".join(texts[i] for i in g.members) for g in groups]
    try:
        vectorizer = CountVectorizer(
            stop_words=stop_words(), token_pattern=r"(?u)\b[^\W\d_]{3,}\b", lowercase=True
        )
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # no word of three letters anywhere
        return
    words = vectorizer.get_feature_names_out()
    # c-TF-IDF: a word's share of its group, weighted by how rare it is across groups.
    frequency = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    average = counts.sum() / len(groups)
    weight = frequency * np.log1p(average / np.maximum(counts.sum(axis=0), 1))
    for group, row in zip(groups, weight, strict=True):
        ranked = sorted((i for i in np.flatnonzero(row > 0)), key=lambda i: (-row[i], words[i]))
        group.keywords = [str(words[i]) for i in ranked[:KEYWORDS]]
