"""The wheel, built for real from a copy of python/: what it carries, and that it refuses to build without the frame.

Each build runs pip on a temporary copy, so the working tree (and its built
frame, which other runs use) is never touched. The build backend is the pinned
setuptools of python/requirements.txt, used from the venv (--no-build-isolation:
no download).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO = PACKAGE_ROOT.parent
FRAME = Path("streamlit_ws_bridge") / "frontend" / "build"
# What a clone holds that is not source: build output and caches.
NOT_SOURCE = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".pytest_cache")


def copy_package(to: Path, *, with_frame: bool) -> Path:
    project = to / "python"
    shutil.copytree(PACKAGE_ROOT, project, ignore=NOT_SOURCE)
    # The frame's directory is named build/ too: copy it back from the real tree (or leave it out).
    if with_frame:
        shutil.copytree(PACKAGE_ROOT / FRAME, project / FRAME)
    return project


def build_wheel(project: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
         str(project), "-w", str(out)],
        capture_output=True, text=True, timeout=300,
    )


def files_under(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[Path]]:
    """(the wheel, the project copy it was built in, the files the build added to that copy)."""
    if not (PACKAGE_ROOT / FRAME / "index.html").is_file():
        pytest.fail("the frame is not built: run `npm run build` first")
    base = tmp_path_factory.mktemp("wheel")
    project = copy_package(base, with_frame=True)
    before = files_under(project)
    result = build_wheel(project, base / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list((base / "out").glob("streamlit_ws_bridge-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], project, files_under(project) - before


def test_the_wheel_carries_the_package_the_built_frame_and_the_license(built):
    wheel, _, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ["__init__.py", "_handout.py", "py.typed", "frontend/build/index.html", "frontend/build/component.js"]:
        assert "streamlit_ws_bridge/" + name in names, name
    licenses = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licenses, sorted(names)
    text = zipfile.ZipFile(wheel).read(licenses[0]).decode()
    assert text == (REPO / "LICENSE").read_text(), "python/LICENSE differs from the repository's LICENSE"
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-File: LICENSE" in metadata


def test_git_ignores_whatever_the_wheel_build_leaves_in_python(built):
    _, _, added = built
    assert added, "the build left nothing in the project: nothing to check"
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    paths = sorted({"python/" + str(path) for path in added})
    # check-ignore answers for paths that do not exist in the working tree as well.
    result = subprocess.run(["git", "-C", str(REPO), "check-ignore", "--no-index", "--stdin", "-v", "-n"],
                            input="\n".join(paths) + "\n", capture_output=True, text=True)
    not_ignored = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == [], f"{len(not_ignored)} of {len(paths)} files the build leaves are not ignored, e.g. {not_ignored[:3]}"


def test_a_wheel_without_the_built_frame_fails_to_build_and_says_what_to_run(tmp_path: Path):
    project = copy_package(tmp_path, with_frame=False)
    result = build_wheel(project, tmp_path / "out")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "npm run build" in output, output
    assert not list((tmp_path / "out").glob("*.whl"))
