"""Plugin boundaries: every hook is documented, and the core never imports a connector."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from signalmesh import hookspecs

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "services" / "signalmesh"


def test_every_hookspec_is_documented_for_plugin_authors():
    specs = [
        function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "signalmesh_spec")
    ]
    assert specs, "hookspecs.py declares no hooks"
    for function in specs:
        doc = inspect.getdoc(function) or ""
        assert len(doc.split()) >= 30, (
            f"hook {function.__name__} needs a docstring that teaches a plugin author"
        )
    guide = (ROOT / "plugins" / "README.md").read_text()
    for function in specs:
        assert function.__name__ in guide, f"the connector guide does not mention hook {function.__name__}"


def plugin_packages() -> set[str]:
    return {
        path.name
        for path in (ROOT / "plugins").glob("*/src/*")
        if path.is_dir() and not path.name.endswith(".egg-info")
    }


def test_core_never_imports_a_connector_package():
    forbidden = plugin_packages()
    assert forbidden, "no plugin packages found under plugins/*/src"
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in forbidden
            ]
    assert offenders == []


def test_every_connector_in_the_repository_runs_the_conformance_kit():
    """DESIGN.md §0: every connector passes conformance. Each distribution under plugins/ has a
    test module with a ConformanceSuite subclass for each connector its entry point registers."""
    import importlib.util

    from signalmesh.plugins import load_registry
    from signalmesh.testing import ConformanceSuite

    registry = load_registry()
    covered: dict[str, str] = {}
    for test_file in sorted((ROOT / "plugins").glob("*/tests/test_conformance.py")):
        if test_file.parts[-3] == "_template":
            continue
        spec = importlib.util.spec_from_file_location(f"conformance_{test_file.parts[-3]}", test_file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ConformanceSuite)
                and value is not ConformanceSuite
            ):
                covered[value.connector.name] = test_file.parts[-3]
    in_repository = {
        info.connector.name
        for info in registry.infos()
        if (ROOT / "plugins").resolve() in Path(inspect.getfile(type(info.connector))).resolve().parents
    }
    assert in_repository >= {"meta", "ga4", "google_ads", "tiktok", "linkedin", "webhook"}
    assert sorted(in_repository - set(covered)) == [], "connectors without a ConformanceSuite subclass"
