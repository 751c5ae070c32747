"""The warm report server (``abcresearch serve``) and how ``abcresearch report`` uses it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from abcresearch import server


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "ABCRESEARCH_CACHE": str(tmp_path / "cache"), **extra}
    env.pop(server.NO_SERVER_ENV, None)
    return env


def _start(env: dict[str, str], idle_minutes: str = "5") -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "abcresearch", "serve", "--idle-minutes",
                             idle_minutes], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    assert "ready" in line, (line, proc.stderr.read() if proc.stderr else "")
    return proc


def _socket(tmp_path: Path) -> Path:
    """The socket of a server started with :func:`_env`'s environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ABCRESEARCH_CACHE", str(tmp_path / "cache"))
        return server.socket_path(server.identity())


def _finish(proc: subprocess.Popen[str]) -> int:
    """Wait for the server to stop; return its exit status (its pipes closed)."""
    proc.communicate(timeout=120)
    return proc.returncode


def _report(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abcresearch", "report", "--round", "2549",
                           *args], env=env, capture_output=True, text=True, timeout=600)


def test_identity_follows_the_code_the_params_and_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABCRESEARCH_CACHE", str(tmp_path))
    first = server.identity()
    assert server.identity() == first
    monkeypatch.setenv("ABCRESEARCH_STORE", str(tmp_path / "other"))
    other_env = server.identity()
    assert other_env != first
    monkeypatch.setenv(server.NO_SERVER_ENV, "1")  # not part of the setup
    assert server.identity() == other_env
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567891")  # the PDF's date is
    assert server.identity() != other_env
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    params = tmp_path / "params"
    params.mkdir()
    (params / "labels.yaml").write_text("a: 1\n")
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(params))
    with_params = server.identity()
    (params / "labels.yaml").write_text("a: 22\n")  # an edited parameter file
    assert server.identity() != with_params
    assert server.socket_path(with_params).name == f"{with_params[:24]}.sock"
    monkeypatch.setenv("ABCRESEARCH_CACHE", "/tmp/x")
    assert server.socket_path(with_params).parent == Path("/tmp/x/serve")
    monkeypatch.setenv("ABCRESEARCH_CACHE", "/tmp/" + "long-" * 30)  # too long for a socket
    assert len(str(server.socket_path(with_params))) <= server.MAX_SOCKET_PATH


def test_without_a_server_or_with_a_dead_one_the_command_runs_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABCRESEARCH_CACHE", str(tmp_path))
    assert server.request(["report"]) is None
    path = server.socket_path(server.identity())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))  # the socket file of a killed server: nobody listens
    assert path.exists()
    try:
        assert server.request(["report"]) is None
    finally:
        path.unlink()


def test_reports_made_by_the_server_are_the_commands_own(sample_store: Path,
                                                          tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = tmp_path / "reports"
    proc = _start(env)
    try:
        second = subprocess.run([sys.executable, "-m", "abcresearch", "serve"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and "already runs" in second.stderr  # one per setup
        for area in ("801501", "801502"):
            made = _report(env, "--area", area, "--store", str(sample_store), "--out", str(out))
            assert made.returncode == 0, made.stderr
            assert f"made by the report server (pid {proc.pid})" in made.stderr
            pdf = out / "2549" / "tambon" / f"{area}.pdf"
            assert made.stdout.startswith(f"{pdf}\n") and pdf.read_bytes().startswith(b"%PDF")
        # a user error reads as it does without the server: one sentence, exit status 2
        served = _report(env, "--area", "809999", "--store", str(sample_store))
        local = _report({**env, server.NO_SERVER_ENV: "1"}, "--area", "809999", "--store",
                        str(sample_store))
        assert served.returncode == local.returncode == 2
        assert served.stderr == local.stderr and len(served.stderr.splitlines()) == 1
        # the server makes reports, nothing else (another command of this user's is refused)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ABCRESEARCH_CACHE", str(tmp_path / "cache"))
            other = server.request(["synth", "--province", "80"])
        assert other is not None and other.code == 2 and "only report" in other.stderr
    finally:
        proc.send_signal(signal.SIGTERM)  # stops as on Ctrl-C
        _finish(proc)
    assert proc.returncode == 0
    assert not _socket(tmp_path).exists()


def test_the_server_stops_by_itself_when_idle(tmp_path: Path) -> None:
    proc = _start(_env(tmp_path), idle_minutes="0.02")
    assert _socket(tmp_path).exists()
    assert _finish(proc) == 0
    assert not _socket(tmp_path).exists()
