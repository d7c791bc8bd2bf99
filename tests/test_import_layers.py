"""The flow holds in the imports (DESIGN.md, "A reply flows one way", issue 18): walks every import of our
packages with ast, including imports inside functions, and fails on one that reaches back up.

The layer order, lowest first, read from DESIGN.md. Data flows web -> messages.parse -> monitoring ->
triage -> monitoring -> outbox -> scheduler -> messages gateways; imports point from the caller to what
it calls, so:
- `triage` imports nothing of ours ("`triage` imports nothing of the others");
- `messages` (parse, templates, gateways) may use triage, never monitoring, scheduler or web
  ("`messages.parse` and the templates import nothing of `web` or `monitoring`");
- `monitoring` (the service layer and store) calls triage and renders through messages;
- `scheduler` drives monitoring and delivers through messages.gateways; nothing below it imports it;
- `web` (the Flask blueprints) calls monitoring and may wake the scheduler;
- `app.py` assembles everything.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("triage", "messages", "monitoring", "scheduler", "web", "app")  # lowest first
RANK = {name: rank for rank, name in enumerate(LAYERS)}

# Inside a layer (a module or package -> what it must never import, even lazily):
# - the outbox (the queue) sits below everything that queues texts, in particular the alert layer, which
#   queues pages through it (the cycle issue 18 removed);
# - the alert layer sits below the API's read shapes (monitoring.views), which read alerts;
# - the dashboard and the staff API are sibling blueprints: what they share lives below both
#   (web.context, monitoring.*), so neither imports the other.
NEVER_IMPORTS = {
    "monitoring.outbox": ("monitoring.alerts", "monitoring.voice", "monitoring.care", "monitoring.checkins",
                          "monitoring.inbound", "monitoring.views", "scheduler"),
    "monitoring.alerts": ("monitoring.views",),
    "web.dashboard": ("web.api",),
    "web.api": ("web.dashboard",),
}

# Private names another module still reaches for; none may be added (make it public or move it instead), and
# one that is gone must leave this list. To do: each of these.
KNOWN_PRIVATE_REACHES = {
    ("monitoring.voice", "monitoring.alerts._event"),
    ("web.voice", "web.sms._valid_signature"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    files = [path for package in LAYERS[:-1] for path in (ROOT / package).rglob("*.py")] + [ROOT / "app.py"]
    return {module_name(path): path for path in files}


def imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported name, line) for every import in the file, at any depth (inside functions too); for
    `from a import b` both a and a.b, since b may be a module or a name in a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            yield source, node.lineno
            for alias in node.names:
                yield f"{source}.{alias.name}", node.lineno


def ours(imported: str) -> bool:
    return imported.split(".")[0] in RANK


def layer(module: str) -> str:
    return module.split(".")[0]


def all_imports() -> list[tuple[str, str, int]]:
    return [(name, imported, line) for name, path in sorted(our_modules().items())
            for imported, line in imports(name, path) if ours(imported)]


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The walker itself: a lazy import in a function body counts like one at the top."""
    source = tmp_path / "lazy.py"
    source.write_text("def later():\n    from monitoring import alerts\n    return alerts\n")
    assert ("monitoring", 2) in list(imports("monitoring.lazy", source))
    assert ("monitoring.alerts", 2) in list(imports("monitoring.lazy", source))


def test_no_import_reaches_back_up_the_layers() -> None:
    back = [f"{name}:{line} imports {imported} ({layer(name)} is below {layer(imported)})"
            for name, imported, line in all_imports() if RANK[layer(imported)] > RANK[layer(name)]]
    assert back == []


def test_triage_imports_nothing_of_ours() -> None:
    assert [(name, imported) for name, imported, _ in all_imports()
            if layer(name) == "triage" and layer(imported) != "triage"] == []


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_no_sideways_reach_inside_a_layer() -> None:
    """The outbox never reaches up to what queues through it, alerts never to the API shapes, the dashboard
    never into the staff API (or back)."""
    reaches = [f"{name}:{line} imports {imported}" for name, imported, line in all_imports()
               for low, highs in NEVER_IMPORTS.items() if within(name, low)
               for high in highs if within(imported, high)]
    assert reaches == []


def test_no_new_reach_for_another_module_s_private_name() -> None:
    modules = our_modules()
    reaches = {(name, imported) for name, imported, _ in all_imports()
               if imported.rpartition(".")[2].startswith("_") and not imported.endswith("__")
               and imported.rpartition(".")[0] in modules and imported.rpartition(".")[0] != name}
    assert reaches - KNOWN_PRIVATE_REACHES == set(), "make it public or move it down instead"
    assert KNOWN_PRIVATE_REACHES - reaches == set(), "gone: take it off KNOWN_PRIVATE_REACHES"
