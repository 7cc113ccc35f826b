"""The house: imports run one way, no file imports itself back, the demo's pages ship.

The import order is the import-linter contract in ``pyproject.toml``
(``crawler > spiders > pipelines > archive``, with the one allowed upward
dependency written there); ``make lint`` checks it too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "spiders", "pipelines", "archive")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first: the copy's packages, not the editable install's, are analysed.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300)


def copy_house(target: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "pages"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_import_contract_holds() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, line, edge", [
    ("archive/text.py", "import pipelines.relevance", "archive.text -> pipelines.relevance"),
    ("pipelines/dedup.py", "from spiders import outlet", "pipelines.dedup -> spiders.outlet"),
    ("spiders/discovery.py", "from crawler import run", "spiders.discovery -> crawler.run"),
])
def test_a_back_edge_breaks_the_contract(tmp_path: Path, module: str, line: str,
                                         edge: str) -> None:
    tree = copy_house(tmp_path)
    path = tree / module
    source = path.read_text(encoding="utf-8")
    head, sep, rest = source.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "  # noqa\n" + rest, encoding="utf-8")
    result = lint_imports(tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout and edge in result.stdout, result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def import_loops(tree: Path) -> list[list[str]]:
    """The import loops between files of the packages in ``tree``, found in a process of
    their own (so that this one keeps its imported modules)."""
    probe = ("import json, sys; sys.path[:0] = sys.argv[1:3]; import grimp, test_house; "
             "print(json.dumps(test_house._cycles(grimp.build_graph(*test_house.PACKAGES))))")
    out = subprocess.run([sys.executable, "-c", probe, str(tree), str(ROOT / "tests")],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_no_import_loop_between_files() -> None:
    graph = grimp.build_graph(*PACKAGES)
    assert len(graph.modules) > 40
    assert _cycles(graph) == []
    assert import_loops(ROOT) == []


def test_the_loop_check_finds_a_loop(tmp_path: Path) -> None:
    tree = copy_house(tmp_path)
    text = tree / "archive" / "text.py"
    text.write_text(text.read_text(encoding="utf-8") + "\nimport archive.catalog  # noqa\n",
                    encoding="utf-8")
    assert ["archive.catalog", "archive.text"] in import_loops(tree)


def test_wheel_ships_the_mirror_pages_and_runs_the_mirror(tmp_path: Path) -> None:
    """A wheel built from the checkout, installed into a fresh venv in another folder,
    serves the saved pages: the demo does not need the source tree."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, timeout=600,
                   capture_output=True)
    wheel = next(wheels.glob("syria_archive-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    routes = sorted(p.relative_to(ROOT).as_posix()
                    for p in (ROOT / "crawler" / "mirror" / "pages").rglob("*") if p.is_file())
    assert routes and not [r for r in routes if r not in names]
    web = sorted(p.relative_to(ROOT).as_posix()
                 for p in (ROOT / "crawler" / "web").rglob("*.*") if p.suffix in (".html", ".css"))
    assert web and not [w for w in web if w not in names]  # serve's templates and styles
    assert "crawler/templates/report.html" in names  # the nightly report's page

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    # The dependencies come from this environment's site-packages, added as a plain path:
    # its .pth files (the editable install of the checkout) are not run there.
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; "
                                   "print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=600, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run(
        [str(py), "-c", "import crawler.mirror.server as s; print(s.default_pages())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout
    proc = subprocess.Popen([str(venv / "bin" / "syria-archive"), "mirror"], cwd=elsewhere,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        proc.wait(timeout=30)
