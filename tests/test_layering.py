"""Imports run one way (docs/architecture.md): a domain package imports only the packages below it,
and no module hides an import inside a function to dodge a cycle.

Read from the source with ``ast``; nothing is imported, so a violation is reported even where it
would not (yet) make an import cycle at run time."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ticketing"

#: modules every layer may use: settings, the database handle, errors, money, time, text and PDF
#: helpers, PromptPay codes, form and request helpers. They import no domain package.
FOUNDATION = {"config", "extensions", "errors", "money", "timeutil", "promptpay", "pdftext", "i18n", "forms",
              "handling", "backup", "operations", "rawsql"}
#: domain packages, bottom to top: each may import the ones before it, never one after it
DOMAIN = ["audit", "accounts", "festivals", "seating", "inventory", "ledger", "sales", "tickets", "shop", "revenue", "gate"]
#: the top: the app factory, the table registry, the home page, the JSON API, the CLI and the demo.
#: Inside a domain package, a module that makes a Blueprint (its pages) is top layer too.
TOP = {"__init__", "models", "web", "api", "cli", "demo"}

#: imports inside a function that are allowed, with the reason (module, function) -> why
INNER_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, parts, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _is_page_module(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Blueprint"
               for node in ast.walk(tree))


def _layer(parts: tuple[str, ...], tree: ast.Module | None = None) -> tuple[str, int]:
    """('foundation', -1), ('domain', rank) or ('top', len(DOMAIN))."""
    top = parts[0] if parts else "__init__"
    if top in FOUNDATION:
        return "foundation", -1
    if top in DOMAIN:
        if tree is not None and _is_page_module(tree):
            return "top", len(DOMAIN)
        return "domain", DOMAIN.index(top)
    assert top in TOP, f"ticketing/{top} is in no layer: add it to tests/test_layering.py and docs/architecture.md"
    return "top", len(DOMAIN)


def _imported(parts: tuple[str, ...], is_package: bool, node: ast.ImportFrom | ast.Import) -> list[tuple[str, ...]]:
    """The ticketing modules (as parts below ``ticketing``) that an import statement names."""
    if isinstance(node, ast.Import):
        return [tuple(a.name.split(".")[1:]) for a in node.names if a.name.split(".")[0] == "ticketing"]
    if node.level == 0:
        if not node.module or node.module.split(".")[0] != "ticketing":
            return []
        base = tuple(node.module.split(".")[1:])
    else:
        here = parts if is_package else parts[:-1]
        base = here[:len(here) - (node.level - 1)] + (tuple(node.module.split(".")) if node.module else ())
    if node.module is None:
        return [base + (a.name,) for a in node.names]
    return [base]


def _inner_imports(tree: ast.Module):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield fn.name, node


def test_every_package_has_a_layer():
    for _path, parts, tree in _modules():
        _layer(parts, tree)


def test_domain_packages_import_only_packages_below_them():
    wrong = []
    for path, parts, tree in _modules():
        kind, rank = _layer(parts, tree)
        if kind == "top":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(parts, path.name == "__init__.py", node):
                if not target or target[0] == parts[0]:
                    continue  # the package itself
                target_kind, target_rank = _layer(target)
                if kind == "foundation" and target_kind != "foundation":
                    wrong.append(f"ticketing/{path.relative_to(PACKAGE)}:{node.lineno} (foundation) imports "
                                 f"{'.'.join(target)} ({target_kind})")
                elif kind == "domain" and target_rank >= rank:
                    wrong.append(f"ticketing/{path.relative_to(PACKAGE)}:{node.lineno} ({parts[0]}) imports "
                                 f"{'.'.join(target)}, which is not below it")
    assert not wrong, "imports that run upwards:\n" + "\n".join(wrong)


def test_no_import_inside_a_function():
    wrong = []
    for path, parts, tree in _modules():
        if parts and parts[0] in TOP or not parts:
            continue
        for function, node in _inner_imports(tree):
            if (".".join(parts), function) not in INNER_IMPORTS_ALLOWED:
                wrong.append(f"ticketing/{path.relative_to(PACKAGE)}:{node.lineno} in {function}(): {ast.unparse(node)}")
    assert not wrong, "imports inside functions (move them to the top, or move the code):\n" + "\n".join(wrong)


def test_the_checks_see_a_wrong_import():
    """The parser resolves relative imports as Python does, so the checks above cannot pass vacuously."""
    tree = ast.parse("from ..sales.services import sell\nfrom .. import audit\nfrom . import services\n")
    found = [t for node in tree.body for t in _imported(("inventory", "views"), False, node)]
    assert found == [("sales", "services"), ("audit",), ("inventory", "services")]
    assert _layer(("sales", "services"))[1] > _layer(("inventory", "services"))[1]
    inner = ast.parse("def f():\n    from ..sales import services\n")
    assert [name for name, _node in _inner_imports(inner)] == ["f"]
