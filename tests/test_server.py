"""The warm report server (``abcresearch serve``) and how ``abcresearch report`` uses it."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from abcresearch import server
from abcresearch.errors import InputError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "ABCRESEARCH_CACHE": str(tmp_path / "cache"), **extra}
    env.pop(server.NO_SERVER_ENV, None)
    return env


def _start(env: dict[str, str], idle_minutes: str = "5") -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "abcresearch", "serve", "--idle-minutes",
                             idle_minutes], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 180)  # a hung start fails, not hangs
    line = proc.stdout.readline() if ready else ""
    if "ready" not in line:
        proc.kill()
        _, err = proc.communicate(timeout=60)
        pytest.fail(f"abcresearch serve did not start: {line!r} {err[-2000:]}")
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


def _report(env: dict[str, str], *args: str, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abcresearch", "report", "--round", "2549",
                           *args], env=env, capture_output=True, text=True, timeout=600,
                          cwd=cwd)


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
    (params / ".labels.yaml.swp").write_text("editor")  # an editor's file does not count
    assert server.identity() == with_params
    (params / "labels.yaml").write_text("a: 22\n")  # an edited parameter file does
    assert server.identity() != with_params
    mask = os.umask(0o077)  # files would be written with other permissions
    try:
        assert server.identity() != with_params
    finally:
        os.umask(mask)
    assert server.socket_path(with_params).name == f"{with_params[:24]}.sock"
    monkeypatch.setenv("ABCRESEARCH_CACHE", "/tmp/x")
    assert server.socket_path(with_params).parent == Path(f"/tmp/x/serve-{os.getuid()}")
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
    try:
        assert path.exists()
        assert server.request(["report"]) is None
        # a folder others may enter is not trusted, by the command or by a new server
        path.parent.chmod(0o755)
        assert server.request(["report"]) is None
        link = tmp_path / "link"
        link.symlink_to(path.parent)
        monkeypatch.setattr(server, "socket_path", lambda ident: link / "x.sock")
        path.parent.chmod(0o700)
        with pytest.raises(InputError, match="not a folder of this user"):
            server.serve(lambda argv, cwd: (0, "", ""), idle_minutes=0.01)
    finally:
        path.unlink()


def test_reports_made_by_the_server_are_the_commands_own(sample_store: Path,
                                                          tmp_path: Path) -> None:
    env = _env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    proc = _start(env)
    try:
        second = subprocess.run([sys.executable, "-m", "abcresearch", "serve"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and "already runs" in second.stderr  # one per setup
        # relative paths are the command's: resolved in its working directory
        made = _report(env, "--area", "801501", "--store", str(sample_store), "--out",
                       "served", cwd=work)
        assert made.returncode == 0, made.stderr
        assert f"made by the report server (pid {proc.pid})" in made.stderr
        pdf = work / "served" / "2549" / "tambon" / "801501.pdf"
        # the same PDF and the same lines as the command makes in its own process
        alone = _report({**env, server.NO_SERVER_ENV: "1"}, "--area", "801501", "--store",
                        str(sample_store), "--out", "alone", cwd=work)
        assert alone.returncode == 0 and "report server" not in alone.stderr
        assert (made.stdout.splitlines()[:2]
                == [line.replace("alone", "served") for line in alone.stdout.splitlines()[:2]])
        assert pdf.read_bytes() == (work / "alone" / "2549" / "tambon" / "801501.pdf"
                                    ).read_bytes()
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
        # `kill` during a report: the report ends as interrupted and the server stops
        client = subprocess.Popen([sys.executable, "-m", "abcresearch", "report", "--round",
                                   "2549", "--area", "801502", "--store", str(sample_store),
                                   "--out", str(tmp_path / "killed")], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # stop the server once it runs the report: the report's folder is made just before
        # its notebook runs (a fixed wait raced a warm report that now takes under 2 s)
        folder = tmp_path / "killed" / "2549" / "tambon"
        deadline = time.monotonic() + 120
        while not folder.exists() and client.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        out, err = client.communicate(timeout=300)
        assert client.returncode == 130 and "interrupted" in err, (out, err)
        assert _finish(proc) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            _finish(proc)
    assert not _socket(tmp_path).exists()


def test_the_server_stops_by_itself_when_idle(tmp_path: Path) -> None:
    proc = _start(_env(tmp_path), idle_minutes="0.05")
    assert _socket(tmp_path).exists()
    assert _finish(proc) == 0
    assert not _socket(tmp_path).exists()
