"""The package's shape: no import cycle (imports at any depth counted), every folder above the ones it uses,
and private names kept private. The graph is read from the source with `ast`, so a function-level import
counts as much as one at the top of a file."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lstm_forecast"

# Lowest first. A module may import from its own layer or any below it; a cycle inside a layer is caught by
# the cycle test. Named by the first part of the module's path inside the package.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",), ("files", "threads", "export"), ("cells",), ("config",),
    ("data",),
    ("seasonality",),
    ("baselines",),
    ("prepare",),
    ("model", "train", "network"),
    ("evaluation",),
    ("runs",),
    ("pipeline",),
    ("backtest",),
    ("inspect", "learn", "scale"),
    ("ui", "cli_scale"),
    ("cli",),
    ("__main__",),
)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """The package's modules that `name` imports, at any depth (type-checking-only imports included),
    each with the line of its first import. `from pkg import mod` counts as importing pkg.mod."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.setdefault(target, line)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lstm_forecast"):
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("lstm_forecast"):
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    add(f"{source}.{alias.name}", node.lineno)
                else:
                    add(source, node.lineno)
    return found


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:  # the package itself: its __init__ imports nothing of the package
        return -1
    for i, names in enumerate(LAYERS):
        if parts[1] in names:
            return i
    return None


def test_the_graph_reader_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "lstm_forecast"
    (pkg / "sub").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "b.py", "sub/__init__.py", "sub/c.py"):
        (pkg / name).write_text("")
    (pkg / "a.py").write_text("def f():\n    from .sub import c\n    from . import b\n")
    (pkg / "sub" / "c.py").write_text("from ..a import f\nimport lstm_forecast.b\n")
    known = modules(pkg)
    assert set(imports_of("lstm_forecast.a", pkg / "a.py", known)) == {"lstm_forecast.sub.c", "lstm_forecast.b"}
    assert set(imports_of("lstm_forecast.sub.c", pkg / "sub" / "c.py", known)) == {"lstm_forecast.a",
                                                                                     "lstm_forecast.b"}
    with pytest.raises(graphlib.CycleError):  # a.py -> sub.c -> a.py
        list(graphlib.TopologicalSorter({m: set(imports_of(m, p, known)) for m, p in known.items()}).static_order())


def test_no_import_cycle_at_any_depth():
    edges = graph()
    try:
        list(graphlib.TopologicalSorter({m: set(targets) for m, targets in edges.items()}).static_order())
    except graphlib.CycleError as err:
        cycle = err.args[1]  # each node an immediate predecessor (here: imported by) the next
        steps = [f"{b} -> {a} (line {edges[b][a]})" for a, b in zip(cycle, cycle[1:])]
        pytest.fail("import cycle:\n" + "\n".join(steps))


def test_every_module_has_a_layer_and_imports_only_downwards():
    edges = graph()
    unplaced = sorted(m for m in edges if layer_of(m) is None)
    assert not unplaced, f"place these in LAYERS: {unplaced}"
    upward = [f"{a} -> {b} (line {line})" for a, targets in edges.items() for b, line in targets.items()
              if layer_of(b) > layer_of(a)]
    assert not upward, "imports that climb a layer:\n" + "\n".join(upward)


def test_private_names_stay_in_their_module():
    known = modules()
    crossing = []
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("lstm_forecast")):
                crossing += [f"{name}: {alias.name} from {'.' * node.level}{node.module or ''} (line {node.lineno})"
                             for alias in node.names if alias.name.startswith("_") and alias.name != "__version__"]
    assert not crossing, "private names imported across modules:\n" + "\n".join(crossing)
