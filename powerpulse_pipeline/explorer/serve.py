"""Serve the explorer on 127.0.0.1:$POWERPULSE_EXPLORER_PORT (what `make dev` starts):
headless, no usage statistics, no file watcher. POWERPULSE_EXPLORER_ADDRESS=0.0.0.0 is for a
container, whose published port is the only way in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..settings import Settings

APP = Path(__file__).with_name("app.py")


def command(port: int, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--global.developmentMode", "false",
    ]  # fmt: skip


def main() -> None:
    settings = Settings.from_env()
    args = command(settings.explorer_port, settings.explorer_address)
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
