"""The package's structure, checked instead of remembered: each DVC stage depends on exactly the
project modules it imports, dvc.yaml writes the artifact paths of `paths`, each outside library
has one edge module, and the package's map of its modules is true.

Only the standard library, PyYAML and `paths` (itself plain Python) are used.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import paths

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src"
PACKAGE = paths.__name__.split(".")[0]
PACKAGE_DIR = SOURCE / PACKAGE
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
STAGES = list(DVC["stages"])
# The only modules that may import each library: the edges of the package.
EDGES = {
    "mlflow": {"tracking.py"},
    "bentoml": {"service.py", "registry/bento_store.py"},
    "matplotlib": {"plots.py"},
    "pandera": {"data_contract.py"},
    # The model's file format: written with MLflow (the types it trusts), read back without it.
    "skops": {"tracking.py", "model_loader.py"},
    "subprocess": {"git.py", "reports/facts.py"},
}


def module_file(name: str) -> Path | None:
    """The file of a project module (`a.b` -> src/a/b.py or src/a/b/__init__.py), if any."""
    base = SOURCE.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(name: str) -> set[str]:
    """Every module a module imports, anywhere in its body (function-level imports included)."""
    path = module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if module_file(submodule) else base)
    return found


def import_closure(entry: str) -> set[str]:
    """The project files Python runs for `python -m <entry>`: the module, what it imports,
    transitively, and every package on the way to each of them."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            if module not in seen and module_file(module):
                seen.add(module)
                todo.extend(n for n in imported_names(module) if n.split(".")[0] == PACKAGE)
    return {str(module_file(m).relative_to(ROOT).as_posix()) for m in seen}  # type: ignore[union-attr]


def entry_module(stage: str) -> str:
    command = shlex.split(DVC["stages"][stage]["cmd"])
    assert command[:2] == ["python", "-m"], f"stage {stage!r}: run it as `python -m <module>`"
    return command[2]


def names(entries: list) -> list[str]:
    """dvc.yaml list entries are paths or {path: options}."""
    return [next(iter(entry)) if isinstance(entry, dict) else entry for entry in entries]


@pytest.mark.parametrize("stage", STAGES)
def test_stage_depends_on_exactly_the_modules_it_imports(stage: str):
    """A change to any module re-runs exactly the stages that import it, and no others."""
    declared = {dep for dep in names(DVC["stages"][stage]["deps"]) if dep.startswith("src/")}
    imported = import_closure(entry_module(stage))
    missing, extra = sorted(imported - declared), sorted(declared - imported)
    assert not missing, f"dvc.yaml stage {stage!r} lacks deps it imports: {missing}"
    assert not extra, f"dvc.yaml stage {stage!r} lists deps it does not import: {extra}"


def test_stages_write_exactly_the_pipeline_outputs_of_paths():
    """dvc.yaml's outputs are `paths.PIPELINE_OUTPUTS`, the names the code writes to."""
    outs = [out for stage in DVC["stages"].values() for out in names(stage["outs"])]
    assert sorted(outs) == sorted(path.as_posix() for path in paths.PIPELINE_OUTPUTS)


def test_data_dependencies_are_earlier_outputs_or_your_own_data():
    """Each stage reads only what an earlier stage wrote, or data/external."""
    available = {paths.EXTERNAL_DATA.as_posix()}
    for stage, spec in DVC["stages"].items():
        data = {dep for dep in names(spec["deps"]) if not dep.startswith("src/")}
        assert data <= available, f"stage {stage!r} reads {sorted(data - available)}"
        available.update(names(spec["outs"]))


def package_files() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


@pytest.mark.parametrize("library", sorted(EDGES))
def test_each_library_is_imported_by_its_edge_module_only(library: str):
    """The pure core stays pure: one library, one edge (mlflow: `tracking` alone)."""
    importers = {
        path.relative_to(PACKAGE_DIR).as_posix()
        for path in package_files()
        if library in {name.split(".")[0] for name in imported_names(module_name(path))}
    }
    assert importers == EDGES[library]


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_package_docstring_maps_every_module():
    """The map in the package docstring names every module, and only modules that exist."""
    doc = ast.get_docstring(ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8")))
    entries = dict(re.findall(r"^  ([\w.]+/?) +(.+)$", doc or "", re.MULTILINE))
    for path in package_files():
        if path.name == "__init__.py":
            continue
        module = module_name(path).removeprefix(f"{PACKAGE}.")
        package, _, leaf = module.rpartition(".")
        in_package = re.search(rf"\b{leaf}\b", entries.get(f"{package}/", ""))
        assert module in entries or in_package, f"the package docstring does not map {module!r}"
    for name in entries:
        assert module_file(f"{PACKAGE}.{name.rstrip('/')}"), f"{name!r} is not a module"
