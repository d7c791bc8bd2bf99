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
#   (web.context, monitoring.*), so neither imports the other; the SMS and voice webhooks share the Twilio
#   signature check through web.twilio_signature;
# - a phone call sits above the alert it calls about (pressing 1 acknowledges it): the alert layer sets when
#   a call is due (alerts.call_due_at), monitoring.voice places it, never the other way round;
# - the clinic (settings, store, the chain on call) sits below the rota page that edits the chain.
NEVER_IMPORTS = {
    "monitoring.outbox": ("monitoring.alerts", "monitoring.voice", "monitoring.care", "monitoring.checkins",
                          "monitoring.inbound", "monitoring.views", "scheduler"),
    "monitoring.alerts": ("monitoring.views", "monitoring.voice"),
    "monitoring.clinic": ("monitoring.rota",),
    "web.voice": ("web.sms",),
    "web.dashboard": ("web.api",),
    "web.api": ("web.dashboard",),
}

# Private names another module still reaches for: none (make it public or move it instead).
KNOWN_PRIVATE_REACHES: set[tuple[str, str]] = set()


# Import circles between two of our modules (either way, at any depth): none.
KNOWN_CIRCLES: set[frozenset[str]] = set()


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


def module_graph() -> dict[str, set[str]]:
    """module -> the modules of ours it imports (at any depth). `from a import b` counts as importing a.b when
    that is a module, else a (b is a name in a)."""
    modules = our_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    by_line: dict[tuple[str, int], set[str]] = {}
    for name, imported, line in all_imports():
        by_line.setdefault((name, line), set()).add(imported)
    for (name, _), names in by_line.items():
        for imported in names:
            if imported in modules:
                if not any(other != imported and other.startswith(imported + ".") and other in modules
                           for other in names):
                    graph[name].add(imported)
            elif imported.rpartition(".")[0] in modules:
                graph[name].add(imported.rpartition(".")[0])
        graph[name].discard(name)
    return graph


def circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()
    for root, imported in graph.items():
        if root in index:
            continue
        work = [(root, iter(sorted(imported)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.add(frozenset(group))
    return found


def test_the_circle_finder_finds_a_circle_through_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == {frozenset({"a", "b", "c"})}


def test_no_new_import_circle() -> None:
    """No two of our modules import each other, directly or round a loop (issue 18: alerts <-> voice and
    clinic <-> rota were the last in monitoring)."""
    found = circles(module_graph())
    assert found - KNOWN_CIRCLES == set(), "break the circle: move what both need below both"
    assert KNOWN_CIRCLES - found == set(), "gone: take it off KNOWN_CIRCLES"
