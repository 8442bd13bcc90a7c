"""A real JupyterLab in headless Chromium, for the browser tests.

The server runs on 127.0.0.1 with a random port and token, over a temporary copy of the notebooks
(running a notebook marks it modified, and autosave must never touch the repository), with its own
temporary Jupyter config and runtime folders. It is always stopped, kernels included.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Every cell stays in the page (no windowed rendering, so a locator finds an explorer scrolled out of
# view), and no news prompt covers the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _write_settings(settings_dir: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextmanager
def jupyterlab(root: Path, env: dict[str, str] | None = None, timeout: float = 90):
    """Start ``jupyter lab`` on ``root``; yields the base URL with its token."""
    port, token = _free_port(), secrets.token_hex(16)
    state = root.parent / "jupyter-state"
    dirs = {
        "JUPYTER_CONFIG_DIR": state / "config",
        "JUPYTER_RUNTIME_DIR": state / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": state / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": state / "workspaces",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    _write_settings(dirs["JUPYTERLAB_SETTINGS_DIR"])
    full_env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, **(env or {})}
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = open(state / "server.log", "wb")
    server = subprocess.Popen(
        command, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{(state / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not answer within the timeout")
            time.sleep(0.5)
        yield base, token
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(server.pid, sig)
                server.wait(wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()


WAIT_FOR_KERNEL = """
async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  return kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""

RUN_ALL = "async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }"

CELLS_STATE = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const prompts = [...panel.content.node.querySelectorAll('.jp-InputPrompt')];
  return {
    total: cells.length,
    executed: cells.filter(c => c.model.executionCount !== null).length,
    running: prompts.filter(p => p.textContent.includes('*')).length,
    kernelIdle: panel.sessionContext.session.kernel.status === 'idle',
  };
}
"""
