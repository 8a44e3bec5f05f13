"""The container image (deploy/Dockerfile, built by deploy/build-image): the pipeline's
definitions validate in it, `powerpulse ask` runs, it runs as a user other than root, and no
secret from the build's environment reaches its layers, configuration, history or build log.

A build takes minutes, so this runs only when asked (see HOW). Commands run in the image with
`buildah run` (chroot isolation unless BUILDAH_ISOLATION says otherwise), which works where
`podman run` cannot create a container. The image is left tagged (TAG) so that the next build
reuses its layers; `podman rmi localhost/powerpulse:test` removes it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "deploy" / "build-image"
TAG = "localhost/powerpulse:test"
LOCAL_BASE = "localhost/powerpulse-base:bookworm"
BUILD_TIMEOUT_SECONDS = 3600
RUN_TIMEOUT_SECONDS = 600
HOW = (
    "it builds the container image (minutes): run it with POWERPULSE_IMAGE_TEST=1 "
    "python -m pytest powerpulse_pipeline_tests/deployment/test_image.py, where podman and "
    "buildah are installed (as root to make the local debootstrap base; "
    "POWERPULSE_BASE_IMAGE=IMAGE builds on that image instead)"
)


def skip_reason() -> str | None:
    if os.environ.get("POWERPULSE_IMAGE_TEST") != "1":
        return f"POWERPULSE_IMAGE_TEST is not 1: {HOW}"
    missing = [tool for tool in ("podman", "buildah") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed: {HOW}"
    return None


pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def run(*argv: str, timeout: float = RUN_TIMEOUT_SECONDS, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def tail(proc: subprocess.CompletedProcess, lines: int = 25) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-lines:])


def base_arguments() -> list[str]:
    """A base named in the environment; else the local debootstrap one where it can be made
    or is already there (no registry needed); else the Dockerfile's default."""
    if os.environ.get("POWERPULSE_BASE_IMAGE"):
        return ["--base", os.environ["POWERPULSE_BASE_IMAGE"]]
    if shutil.which("debootstrap") or run("podman", "image", "exists", LOCAL_BASE).returncode == 0:
        return ["--local-base"]
    return []


def file_contains(path: Path, needles: list[bytes], chunk: int = 64 << 20) -> list[bytes]:
    """The needles found anywhere in the file, read in overlapping chunks."""
    found: set[bytes] = set()
    overlap = max(len(needle) for needle in needles)
    with path.open("rb") as f:
        previous = b""
        while block := f.read(chunk):
            window = previous + block
            found.update(needle for needle in needles if needle in window)
            previous = window[-overlap:]
    return sorted(found)


def test_image_builds_runs_unprivileged_and_holds_no_secret(tmp_path: Path) -> None:
    api_key = f"sk-imagetest-{secrets.token_hex(16)}"
    password = f"pw-imagetest-{secrets.token_hex(16)}"
    env = {
        **os.environ,
        "OPENAI_API_KEY": api_key,
        "POSTGRES_PASSWORD": password,
        "POWERPULSE_POSTGRES_URL": f"postgresql+psycopg2://powerpulse:{password}@db:5432/dagster",
    }
    needles = [api_key, password]

    build = run(str(BUILD), "--tag", TAG, *base_arguments(), env=env, timeout=BUILD_TIMEOUT_SECONDS)
    assert build.returncode == 0, f"deploy/build-image failed:\n{tail(build, 60)}"

    problems: list[str] = []
    log = build.stdout + build.stderr
    problems += [f"the build's log shows secret {n[:13]}…" for n in needles if n in log]

    inspect = run("podman", "image", "inspect", TAG)
    assert inspect.returncode == 0, tail(inspect)
    config = json.loads(inspect.stdout)[0]["Config"]
    user = config.get("User", "")
    if user.split(":")[0] in ("", "0", "root"):
        problems.append(f"the image runs as root (Config.User={user!r})")
    history = run("podman", "history", "--no-trunc", "--format", "json", TAG)
    assert history.returncode == 0, tail(history)
    for name, text in (("configuration", inspect.stdout), ("history", history.stdout)):
        problems += [f"the image's {name} holds secret {n[:13]}…" for n in needles if n in text]

    # Every layer, deleted files included: a secret written in one step and removed in a later
    # one would still be in the image.
    archive = tmp_path / "image.tar"
    saved = run("podman", "save", "--format", "docker-archive", "-o", str(archive), TAG)
    assert saved.returncode == 0, tail(saved)
    found = file_contains(archive, [n.encode() for n in needles])
    problems += [f"the image's layers hold secret {n[:13].decode()}…" for n in found]
    archive.unlink()

    container = run("buildah", "from", "--pull=never", TAG)
    assert container.returncode == 0, tail(container)
    name = container.stdout.strip().splitlines()[-1]
    isolation = os.environ.get("BUILDAH_ISOLATION", "chroot")
    try:
        for argv in (
            ["id", "-u"],
            ["dagster", "definitions", "validate", "-m", "powerpulse_pipeline.definitions"],
            ["powerpulse", "ask", "--help"],
        ):
            proc = run("buildah", "run", "--isolation", isolation, name, "--", *argv)
            if proc.returncode != 0:
                problems.append(f"`{' '.join(argv)}` failed in the image:\n{tail(proc)}")
            elif argv[0] == "id" and proc.stdout.strip() == "0":
                problems.append("commands in the image run as uid 0")
            elif argv[0] == "powerpulse" and "question" not in proc.stdout:
                problems.append(f"`powerpulse ask --help` printed no usage:\n{tail(proc)}")
    finally:
        run("buildah", "rm", name)

    assert not problems, "\n".join(problems)
