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


# --- function-level imports: each defers a heavy import, and says which -------------------------------------------

# Third-party modules slow enough to import (0.1 s and more here) that a function may defer them to first use.
HEAVY = frozenset({"torch", "streamlit", "altair", "statsmodels", "scipy", "yfinance", "optuna", "ray", "pyarrow",
                   "sqlalchemy", "playwright", "tabulate"})
# Package modules the CLI defers so that `python -m lstm_forecast --help` and the commands that need neither stay
# quick (measured: the scale/ package 0.14 s, the loaders 0.07 s); their comment says so.
START_UP = {"lstm_forecast.cli": frozenset({"lstm_forecast.cli_scale", "lstm_forecast.data.loading",
                                            "lstm_forecast.data.samples", "lstm_forecast.data.yahoo"})}


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or
                                         (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _probe(node: ast.AST) -> bool:
    """A try whose handlers catch ImportError: a probe for an optional package, not a deferral."""
    return isinstance(node, ast.Try) and any(
        isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
        for h in node.handlers if h.type is not None for n in ast.walk(h.type))


def _imports_by_place(tree: ast.AST):
    """(import node, place): "module" at import time (probes included), "typing" under TYPE_CHECKING,
    "function" inside a function body (probes there excluded: "probe")."""
    def visit(node, place):
        for child in ast.iter_child_nodes(node):
            here = place
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and place == "module":
                here = "function"
            elif _type_checking(child):
                here = "typing"
            elif _probe(child) and place == "function":
                here = "probe"
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, here
            yield from visit(child, here)
    yield from visit(tree, "module")


def _targets(node, name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str]]:
    """What one import statement loads: ("pkg", a package module) or ("ext", a third-party top-level name)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def placed(target: str) -> str:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target

    if isinstance(node, ast.Import):
        return [("pkg", placed(a.name)) if a.name.startswith("lstm_forecast") else ("ext", a.name.split(".")[0])
                for a in node.names]
    if node.level:
        source = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if not source.startswith("lstm_forecast"):
        return [("ext", source.split(".")[0])]
    return [("pkg", f"{source}.{a.name}" if f"{source}.{a.name}" in known else placed(source)) for a in node.names]


class _Imports:
    """The heavy modules each package module loads when imported, and what each function-level import defers."""

    def __init__(self, root: Path = PACKAGE) -> None:
        self.known = modules(root)
        self.trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in self.known.items()}
        self.cache: dict[str, frozenset[str]] = {}

    def heavy_at_import(self, name: str) -> frozenset[str]:
        if name not in self.cache:
            self.cache[name] = frozenset()  # no cycles (tested above); this only guards the recursion
            found = set(self.heavy_at_import(name.rpartition(".")[0])) if "." in name else set()
            for node, place in _imports_by_place(self.trees[name]):
                if place != "module":
                    continue
                for kind, target in _targets(node, name, self.known[name], self.known):
                    if kind == "ext" and target in HEAVY:
                        found.add(target)
                    elif kind == "pkg" and target and target != name:
                        found |= self.heavy_at_import(target)
            self.cache[name] = frozenset(found)
        return self.cache[name]

    def function_level(self):
        """(module, line, statement, the package modules it loads, the heavy modules it defers, its comment)."""
        for name, path in self.known.items():
            lines = path.read_text(encoding="utf-8").split("\n")
            here = self.heavy_at_import(name)
            for node, place in _imports_by_place(self.trees[name]):
                if place != "function":
                    continue
                deferred, loads = set(), set()
                for kind, target in _targets(node, name, path, self.known):
                    if kind == "ext" and target in HEAVY:
                        deferred.add(target)
                    elif kind == "pkg" and target:
                        loads.add(target)
                        deferred |= self.heavy_at_import(target)
                yield name, node.lineno, ast.unparse(node), loads, frozenset(deferred - here), _comment(lines, node)


def _comment(lines: list[str], node: ast.AST) -> str | None:
    """The '# deferred:' reason on the import's last line, or on the line above its group of imports."""
    if "# deferred:" in lines[node.end_lineno - 1]:
        return lines[node.end_lineno - 1].partition("# deferred:")[2]
    above = node.lineno - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1
    if above >= 0 and lines[above].strip().startswith("# deferred:"):
        return lines[above].partition("# deferred:")[2]
    return None


def deferral_problems(imports: _Imports) -> list[str]:
    problems = []
    for name, line, statement, loads, deferred, said in imports.function_level():
        where = f"{name} line {line}: {statement}"
        if deferred:
            if said is None or not any(h in said for h in deferred):
                problems.append(f"{where}: say which heavy import it defers ({', '.join(sorted(deferred))}) in a "
                                "'# deferred:' comment")
        elif not (loads and loads <= START_UP.get(name, frozenset()) and said):
            problems.append(f"{where}: defers nothing heavy; import it at the top of the module")
    return problems


def test_a_function_level_import_defers_a_heavy_one_and_says_which():
    problems = deferral_problems(_Imports())
    assert not problems, "\n".join(problems)


def test_the_deferral_check_follows_imports_through_the_package(tmp_path):
    pkg = tmp_path / "lstm_forecast"
    pkg.mkdir()
    files = {
        "__init__.py": "",
        "heavy.py": "import torch\n",
        "middle.py": "from . import heavy\n",
        "light.py": "import json\n",
        "user.py": ("def a():\n    from . import middle  # deferred: middle.py imports torch\n"
                    "def b():\n    from . import light\n"
                    "def c():\n    import torch\n"
                    "def d():\n    try:\n        import yfinance\n    except ImportError:\n        return None\n"),
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    imports = _Imports(pkg)
    assert imports.heavy_at_import("lstm_forecast.middle") == {"torch"}
    assert imports.heavy_at_import("lstm_forecast.user") == frozenset()
    problems = deferral_problems(imports)
    assert len(problems) == 2, problems  # the probe in d() is not a deferral; a() says why
    assert "line 4: from . import light: defers nothing heavy" in problems[0]
    assert "line 6: import torch: say which heavy import it defers (torch)" in problems[1]
