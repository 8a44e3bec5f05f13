"""The explorer served as `make dev` serves it, in the system's headless Chromium: no console
error, no request off the machine, a filter change updates the figures, and a copy the
pipeline publishes shows up within seconds with no click. Skipped where Chromium is absent."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from powerpulse_pipeline.ask.readonly import LOCKED_CONFIG
from powerpulse_pipeline.explorer.serve import command
from powerpulse_pipeline.settings import Settings

from ..browser import chromium, needs_chromium, requested_urls
from .conftest import republish_without

pytestmark = needs_chromium


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(explorer_settings: Settings) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env["POWERPULSE_DATA_DIR"] = str(explorer_settings.data_dir)
    server = subprocess.Popen(
        command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _cards(driver: Any) -> dict[str, str]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-testid=stMetric]')]"
        ".map(e => [e.querySelector('[data-testid=stMetricLabel]').innerText.trim(),"
        " e.querySelector('[data-testid=stMetricValue]').innerText.trim()]))"
    )


def _wait_for(driver: Any, condition: Any, seconds: float = 30) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition(_cards(d)))
    return time.monotonic() - started


def _count(settings: Settings, where: str = "true") -> str:
    with duckdb.connect(str(settings.duckdb_path), read_only=True, config=LOCKED_CONFIG) as conn:
        return str(conn.execute(f"SELECT count(*) FROM conversations WHERE {where}").fetchone()[0])


def test_the_explorer_in_a_browser(served: str, explorer_settings: Settings) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chromium() as driver:
        driver.get(served)
        _wait_for(driver, lambda c: c.get("Conversations") == _count(explorer_settings), 60)

        agent = driver.find_element(
            By.CSS_SELECTOR, "[data-testid=stSidebar] [data-testid=stMultiSelect] input"
        )
        agent.click()
        agent.send_keys("Maria Lopez", Keys.ENTER)
        maria = _count(explorer_settings, "agent_name = 'Maria Lopez'")
        _wait_for(driver, lambda c: c.get("Conversations") == maria)

        republish_without(explorer_settings, "2025-03-06")
        fewer = _count(explorer_settings, "agent_name = 'Maria Lopez'")
        assert fewer != maria
        waited = _wait_for(driver, lambda c: c.get("Conversations") == fewer, 20)
        assert waited < 15

        console = [
            e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")
        ]
        local = (served, served.replace("http", "ws"), "data:", "blob:")
        off_machine = [u for u in requested_urls(driver) if not u.startswith(local)]
    assert console == [], "\n".join(console)
    assert off_machine == []
