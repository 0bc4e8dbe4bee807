"""The built wheel installs into a fresh virtualenv and works from anywhere.

Nothing with a generic top-level name (`cli`, `alembic`) may land in site-packages: the wheel
maps the checkout's cli/, alembic/ and seeds/ inside the `timeline` package.
"""

from __future__ import annotations

import fcntl
import json
import os
import site
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from timeline.schema import SCHEMA_REVISION

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder of this test run's, shared by its xdist workers: the first worker to need the
    wheel and its virtualenv builds them there, the others find them built (one build per
    run instead of one per worker)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if worker_id != "master" else base) / "wheel"
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def once(folder: Path, name: str) -> Iterator[bool]:
    """Under a lock on `folder/name`: whether it still has to be made (True once per run)."""
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / f"{name}.done"
        try:
            yield not done.exists()
            done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def wheel(run_folder: Path) -> Path:
    """The wheel built from this checkout, without network (the build backend is installed)."""
    out = run_folder / "dist"
    with once(run_folder, "dist") as needed:
        if needed:
            run(
                sys.executable,
                "-m",
                "build",
                "--wheel",
                "--no-isolation",
                "--outdir",
                out,
                REPO,
                cwd=REPO,
            )
    [built] = out.glob("timeline-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, run_folder: Path) -> Path:
    """A fresh virtualenv with the wheel installed; its bin/ folder."""
    root = run_folder / "venv"
    bin_dir = root / ("Scripts" if os.name == "nt" else "bin")
    with once(run_folder, "venv") as needed:
        if needed:
            install(wheel, root, bin_dir / "python")
    return bin_dir


def install(wheel: Path, root: Path, python: Path) -> None:
    """Make a virtualenv at `root` and install `wheel` into it, its dependencies aside."""
    # Without a pip of its own (the test environment's installs into it): a fifth of the time.
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(root)
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root
    ).strip()
    # The test environment's dependencies, seen by the new venv without touching the network.
    (Path(purelib) / "test-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in site.getsitepackages()), encoding="utf-8"
    )
    # --ignore-installed: the test environment may have timeline installed too (CI installs
    # it as the README says); the wheel must land in the new venv regardless.
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        "--quiet",
        wheel,
        cwd=root,
    )


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TIMELINE_DB")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_the_wheel_holds_one_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/", 1)[0] for name in names}
    [metadata] = top - {"timeline"}
    assert metadata.endswith(".dist-info")
    assert "timeline/alembic/versions/0001_event_log.py" in names
    assert "timeline/alembic/env.py" in names
    assert "timeline/cli/__init__.py" in names
    assert any(name.startswith("timeline/seeds/") for name in names)
    assert not any(name.startswith(("cli/", "alembic/", "seeds/")) for name in names)
    assert "timeline/alembic/__init__.py" not in names  # or `import alembic` finds it
    # The web page of `timeline serve` and everything it loads.
    for name in ("index.html", "app.js", "style.css", "favicon.svg"):
        assert f"timeline/serving/static/{name}" in names


def test_the_installed_command_works_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    env = clean_env()
    timeline = installed / "timeline"
    help_text = run(timeline, "--help", cwd=tmp_path, env=env)
    assert "Usage: timeline" in help_text

    db = f"sqlite:///{tmp_path / 'x.db'}"
    run(timeline, "--db", db, "create", "t", "--zone", "UTC", cwd=tmp_path, env=env)
    added = run(timeline, "--db", db, "add", "note", "2020-01-01", "hello", cwd=tmp_path, env=env)
    [event] = json.loads(
        run(timeline, "--db", db, "events", "--format", "json", cwd=tmp_path, env=env)
    )
    assert event["id"] == added.strip()
    assert (event["kind"], event["date"], event["title"]) == ("note", "2020-01-01", "hello")
    assert "ok: 1 events" in run(timeline, "--db", db, "verify", cwd=tmp_path, env=env)
    assert run(timeline, "--db", db, "db", "current", cwd=tmp_path, env=env).startswith(
        f"{SCHEMA_REVISION} (head)"
    )


def test_imports_resolve_to_the_right_packages(installed: Path, tmp_path: Path) -> None:
    code = (
        "import json, alembic, alembic.command, timeline, timeline.cli;"
        "print(json.dumps([alembic.__file__, hasattr(alembic.command, 'upgrade'),"
        " timeline.__file__, timeline.cli.__file__]))"
    )
    alembic_file, has_command, timeline_file, cli_file = json.loads(
        run(installed / "python", "-c", code, cwd=tmp_path, env=clean_env())
    )
    assert has_command
    venv_root = installed.parent
    assert not Path(alembic_file).is_relative_to(venv_root)  # the library, via the .pth
    assert Path(timeline_file).is_relative_to(venv_root)  # the wheel, not the checkout
    assert Path(cli_file).is_relative_to(venv_root)
    assert not Path(timeline_file).is_relative_to(REPO)
    site_packages = Path(timeline_file).parent.parent
    assert not (site_packages / "cli").exists()
    assert not (site_packages / "alembic").exists()


def test_the_installed_server_serves_its_page_and_answers(installed: Path, tmp_path: Path) -> None:
    env = clean_env()
    timeline = installed / "timeline"
    db = f"sqlite:///{tmp_path / 'x.db'}"
    run(timeline, "--db", db, "create", "t", "--zone", "UTC", cwd=tmp_path, env=env)
    run(timeline, "--db", db, "add", "note", "2020-01-01", "hello", cwd=tmp_path, env=env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [timeline, "serve", "--db", db, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        assert server.stderr.readline() == f"serving on http://127.0.0.1:{port}/ (Ctrl-C stops)\n"
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/events", timeout=5) as response:
                    [event] = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        assert event["title"] == "hello"
        for path in ("/", "/static/app.js", "/static/style.css"):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.status == 200
    finally:
        server.terminate()
        server.wait(30)
