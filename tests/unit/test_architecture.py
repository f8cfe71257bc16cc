"""The architecture, read from the source (ast): no import cycles, layers that point one way, each collection
written only by the domain that owns it, and modules that stay small. docs/architecture.md explains the rules;
the owner table there is checked against OWNERS here."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import documents

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "documents", "search", "vocabulary")
MAX_LINES = 450

# collection -> (owning package or module, its document class). Only the owner (or a module inside it) writes it.
OWNERS: dict[str, tuple[str, str]] = {
    "users": ("app.accounts", "User"),
    "wines": ("app.catalog", "Wine"),
    "orders": ("app.commerce", "Order"),
    "carts": ("app.commerce", "Cart"),
    "wishlist": ("app.commerce", "WishlistEntry"),
    "reviews": ("app.commerce", "Review"),
    "interactions": ("app.clickstream", "Interaction"),
    "recommendation_logs": ("app.recommendations", "RecommendationLog"),
    "price_rules": ("app.pricing", "PriceRule"),
    "price_history": ("app.pricing", "PriceChange"),
    "audit_log": ("app.audit", "AuditEntry"),
    "privacy_requests": ("app.privacy", "PrivacyRequest"),
}
OWNER_OF = {cls: owner for owner, cls in OWNERS.values()}

# (package or module, document class) -> why it may import a document it does not own. Reads only: the write
# check below holds them to it.
READS: dict[tuple[str, str], str] = {
    ("app.events", "Order"): "OrderPlaced / OrderStatusChanged carry the order",
    ("app.cli", "Wine"): "`cuvee reindex` counts the wines for its progress bar",
    ("app.catalog", "Interaction"): "search analytics report on the stored search events (a read model)",
    ("app.commerce", "Wine"): "carts, wishlists and reviews show the wines CatalogService reads",
    ("app.pricing", "Wine"): "prices are worked out from the wines' facts; app/catalog/prices.py stores them",
    ("app.privacy", "AuditEntry"): "the export shows the audit entries about the user",
    ("app.privacy", "User"): "erasure takes the account AccountService.get_user returns",
    ("app.recommendations", "Wine"): "serving reads live stock and price; the refresh reads the whole catalog",
    ("app.recommendations", "Order"): "its reactions to OrderPlaced / OrderStatusChanged take the order",
    ("app.recommendations", "User"): "the surfaces take the shopper AccountService returns (consent, taste)",
}
# Modules past MAX_LINES, being split (remove each line when its module is back under the limit).
TOO_LONG: dict[str, str] = {}

DOMAINS = ("accounts", "catalog", "clickstream", "commerce", "pricing", "privacy", "recommendations")
# The HTTP and process edge: it may import anything, nothing below it imports it.
EDGE_MODULES = {"app.__main__", "app.container", "app.deps", "app.main", "app.openapi"}
EDGE_PACKAGES = ("app.apidocs", "app.cli", "app.health", "app.storefront")
WRITE_METHODS = {
    "bulk_write",
    "delete",
    "delete_many",
    "delete_one",
    "drop",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "inc",
    "insert",
    "insert_many",
    "insert_one",
    "replace",
    "replace_one",
    "save",
    "set",
    "update",
    "update_many",
    "update_one",
    "upsert",
}


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: list[tuple[str, int, bool]] = field(default_factory=list)  # (module, line, only for type checking)
    documents: dict[str, int] = field(default_factory=dict)  # document class imported -> line

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(n) for child in node.body for n in ast.walk(child))
    return inside


@cache
def modules() -> dict[str, Module]:
    found = {
        _name(path): Module(_name(path), path, ast.parse(path.read_text(), str(path)))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    for module in found.values():
        typing_only = _type_checking_nodes(module.tree)
        package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                targets = [(f"{base}.{a.name}", a.name) for a in node.names]
                if base == "documents" or base.startswith("documents."):
                    module.documents.update({a.name: node.lineno for a in node.names if a.name in OWNER_OF})
            else:
                continue
            for target, _ in targets:
                resolved = _resolve(target, found)
                if resolved and resolved != module.name:
                    module.imports.append((resolved, node.lineno, id(node) in typing_only))
    return found


def _resolve(target: str, found: dict[str, Module]) -> str | None:
    while target:
        if target in found:
            return target
        target = target.rpartition(".")[0]
    return None


def is_edge(name: str) -> bool:
    last = name.rpartition(".")[2]
    return (
        name in EDGE_MODULES
        or any(name == p or name.startswith(p + ".") for p in EDGE_PACKAGES)
        or (name.startswith("app.") and (last in ("controller", "cli") or last.endswith("_controller")))
    )


def unit_of(name: str) -> str:
    """The package an import arrow is drawn between: a domain of app, a top-level app module, or a package."""
    parts = name.split(".")
    if parts[0] == "app" and len(parts) > 1 and (ROOT / "app" / parts[1]).is_dir():
        return f"app.{parts[1]}"
    return name if parts[0] == "app" else parts[0]


def owner_of(name: str) -> str:
    """The owner-table key a module belongs to: its domain package, or itself for a top-level app module."""
    return unit_of(name)


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def runtime_graph() -> dict[str, set[str]]:
    return {m.name: {t for t, _, typing_only in m.imports if not typing_only} for m in modules().values()}


def domain_graph() -> dict[str, set[str]]:
    """Arrows between the app's packages below the edge (controllers, CLIs and the composition root left out)."""
    graph: dict[str, set[str]] = {}
    for module in modules().values():
        if is_edge(module.name):
            continue
        for target, _, _ in module.imports:
            if not is_edge(target) and unit_of(target) != unit_of(module.name):
                graph.setdefault(unit_of(module.name), set()).add(unit_of(target))
    return graph


# ---------------------------------------------------------------- (a) no cycles
def test_no_module_imports_itself_round_a_cycle() -> None:
    assert [sorted(c) for c in cycles(runtime_graph())] == []


def test_the_packages_below_the_edge_depend_on_each_other_without_cycles() -> None:
    assert [sorted(c) for c in cycles(domain_graph())] == []


# ---------------------------------------------------------------- (b) layers
def test_documents_search_and_vocabulary_never_import_the_app() -> None:
    allowed = {
        "documents": {"documents"},
        "vocabulary": {"vocabulary"},
        "search": {"search", "documents", "vocabulary"},
    }
    wrong = [
        f"{m.rel}:{line} imports {target}"
        for m in modules().values()
        if m.name.split(".")[0] in allowed
        for target, line, _ in m.imports
        if target.split(".")[0] not in allowed[m.name.split(".")[0]]
    ]
    assert wrong == []


def test_nothing_below_the_edge_imports_a_controller_a_cli_or_the_composition_root() -> None:
    wrong = [
        f"{m.rel}:{line} imports {target}"
        for m in modules().values()
        if not is_edge(m.name)
        for target, line, _ in m.imports
        if is_edge(target)
    ]
    assert wrong == []


def test_the_app_kernel_imports_no_domain() -> None:
    """Top-level app modules below the edge (errors, schemas, security, events, audit, settings …) are shared by
    every domain, so none of them may depend on one."""
    wrong = [
        f"{m.rel}:{line} imports {target}"
        for m in modules().values()
        if m.name.startswith("app.") and unit_of(m.name) == m.name and not is_edge(m.name)
        for target, line, _ in m.imports
        if unit_of(target).removeprefix("app.") in DOMAINS
    ]
    assert wrong == []


# ---------------------------------------------------------------- (c) one owner per collection
def test_every_collection_has_one_owner() -> None:
    collections = {d.Settings.name: d.__name__ for d in documents.ALL_DOCUMENTS}
    assert collections == {name: cls for name, (_, cls) in OWNERS.items()}


def test_a_domain_imports_only_the_documents_it_owns_or_a_documented_read() -> None:
    used: set[tuple[str, str]] = set()
    wrong = []
    for module in modules().values():
        if not module.name.startswith("app."):
            continue
        for cls, line in module.documents.items():
            owner = OWNER_OF[cls]
            if owner_of(module.name) == owner or module.name.startswith(owner + "."):
                continue
            key = (owner_of(module.name), cls)
            if key in READS:
                used.add(key)
            else:
                wrong.append(f"{module.rel}:{line} imports {cls}, owned by {owner}")
    assert wrong == []
    assert sorted(set(READS) - used) == [], "documented reads nobody needs any more: remove them"


def written_documents(module: Module) -> Iterator[tuple[str, int]]:
    """(document class, line) of each write statically visible in the module: a write method called on a
    chain rooted at a document class, or at a name or helper assigned from one (`wines = Wine.get_…()`)."""
    classes = set(module.documents)
    aliases: dict[str, str] = {}
    helpers: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and ret.value is not None and (cls := _root(ret.value, classes, {}, {})):
                    helpers[node.name] = cls
    for _ in range(2):  # aliases of aliases
        for node in ast.walk(module.tree):
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if value is not None and (cls := _root(value, classes, aliases, helpers, handle=True)):
                aliases.update({t.id: cls for t in targets if isinstance(t, ast.Name)})
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
            and (cls := _root(node.func.value, classes, aliases, helpers))
        ):
            yield cls, node.lineno


def _root(
    node: ast.expr, classes: set[str], aliases: dict[str, str], helpers: dict[str, str], *, handle: bool = False
) -> str | None:
    """The document class a chain starts from. With `handle`, only a chain that yields a collection or a
    document (not an item read out of a raw result, `raw["price_until"]`)."""
    direct = True  # a name assigned from a document counts only as the receiver itself, not `wine.rule.kind`
    while True:
        if handle and isinstance(node, ast.Subscript):
            return None
        if isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in helpers:
                return helpers[func.id]
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")
            ):
                return helpers.get(func.attr)
            node = func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id if node.id in classes else aliases.get(node.id) if direct else None
        else:
            return None
        direct = False


def test_each_collection_is_written_only_by_its_owner() -> None:
    wrong = []
    for module in modules().values():
        if not module.name.startswith("app."):
            continue
        for cls, line in written_documents(module):
            owner = OWNER_OF[cls]
            if owner_of(module.name) != owner and not module.name.startswith(owner + "."):
                wrong.append(f"{module.rel}:{line} writes {cls}, owned by {owner}")
    assert wrong == []


def test_the_write_check_sees_writes_through_names_and_helpers() -> None:
    source = """
from documents import Wine, User

def _users():
    return User.get_pymongo_collection()

async def f(wine_id):
    wines = Wine.get_pymongo_collection()
    await wines.update_one({"_id": wine_id}, {"$inc": {"stock": 1}})
    await _users().delete_many({})
    await Wine.find({}).to_list()
"""
    module = Module("app.example", ROOT / "app" / "example.py", ast.parse(source), documents={"Wine": 2, "User": 2})
    assert sorted(written_documents(module)) == [("User", 10), ("Wine", 9)]


def test_docs_show_the_owner_of_each_collection() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| `(\w+)` +\| `(\w+)` +\| `([\w.]+)` +\|", text, re.MULTILINE)
    assert {name: (owner, cls) for name, cls, owner in rows} == OWNERS


def test_docs_show_the_dependencies_between_packages() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    shown = dict(re.findall(r"^- `(app\.\w+)` → (.+)$", text, re.MULTILINE))
    graph = domain_graph()
    actual = {
        f"app.{d}": ", ".join(
            f"`{t}`" for t in sorted(graph.get(f"app.{d}", set())) if t.removeprefix("app.") in DOMAINS
        )
        or "nothing"
        for d in DOMAINS
    }
    assert shown == actual


# ---------------------------------------------------------------- (d) size
def test_modules_stay_under_the_line_limit() -> None:
    lengths = {m.rel: len(m.path.read_text().splitlines()) for m in modules().values()}
    assert sorted(f"{rel}: {n} lines" for rel, n in lengths.items() if n > MAX_LINES and rel not in TOO_LONG) == []
    assert sorted(rel for rel in TOO_LONG if lengths.get(rel, 0) <= MAX_LINES) == [], "back under the limit: remove"
