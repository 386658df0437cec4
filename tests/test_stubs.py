"""The type stubs (fastact/*.pyi, with py.typed) match the runtime API.

A light check without mypy: every public name of ``fastact`` is in
``__init__.pyi``; each functional activation's stub class has the runtime
signature's parameters and defaults; each class's ``__init__`` too.  (The full
check, as run by hand: ``python -m mypy.stubtest fastact`` with allowlist
entries for ``fastact.__main__``, ``fastact._loops.__test__`` and the generated
``fastact._loops.*_(fn|grad|grad2|grad_alpha)`` loops.)
"""

import ast
import inspect
import pathlib
import types

import pytest

import fastact

PKG = pathlib.Path(fastact.__file__).parent


def _stub(name):
    path = PKG / f"{name}.pyi"
    assert path.is_file(), f"{path} is not installed (package-data: *.pyi)"
    return ast.parse(path.read_text(encoding="utf-8"))


def _params(func):
    """(name, default) of a stub function's parameters after self and x / z."""
    args = func.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = []
    for a, d in zip(positional, defaults):
        if a.arg in ("self", "x", "z"):
            continue
        out.append((a.arg, inspect.Parameter.empty if d is None else ast.literal_eval(d)))
    return out


def _runtime_params(sig, skip=("self", "x", "z", "out")):
    return [(p.name, p.default) for p in sig.parameters.values()
            if p.name not in skip and p.kind is not inspect.Parameter.VAR_KEYWORD]


def test_py_typed_installed():
    assert (PKG / "py.typed").is_file()


def test_every_public_name_is_in_init_stub():
    tree = _stub("__init__")
    declared = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module.startswith("fastact"):
            declared |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.AnnAssign):
            declared.add(node.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared.add(node.name)
    public = {n for n, v in vars(fastact).items()
              if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    public.add("__version__")
    assert not public - declared, f"not in fastact/__init__.pyi: {sorted(public - declared)}"
    ghosts = sorted(n for n in declared if not hasattr(fastact, n))
    assert not ghosts, f"in fastact/__init__.pyi but not in fastact: {ghosts}"


def test_functional_signatures():
    tree = _stub("functional")
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    annotated = {n.target.id: n.annotation.id for n in tree.body
                 if isinstance(n, ast.AnnAssign) and isinstance(n.annotation, ast.Name)}
    names = set(fastact.FUNCTIONS) | {"logsigmoid"}
    assert not names - set(annotated), f"not in functional.pyi: {sorted(names - set(annotated))}"
    for name in sorted(names):
        f = getattr(fastact, name)
        cls = classes[annotated[name]]
        methods = {}
        for node in cls.body:
            if isinstance(node, ast.FunctionDef):
                methods.setdefault(node.name, node)       # the first overload
        extra = {m for m in vars(f) if callable(vars(f)[m]) and not m.startswith("_")}
        assert {"__call__", "grad", "grad2"} | extra <= set(methods), (name, sorted(methods))
        want = _runtime_params(f.__signature__)
        for m in methods.values():
            assert _params(m) == want, f"functional.pyi {cls.name}.{m.name} vs {name}{want}"


@pytest.mark.parametrize("cls_name", sorted(fastact.CLASSES))
def test_class_signatures(cls_name):
    tree = _stub("activations")
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assert cls_name in classes, f"{cls_name} is not in activations.pyi"

    def stub_init(name):
        node = classes[name]
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                return _params(item)
        return stub_init(node.bases[0].id)

    runtime = _runtime_params(inspect.signature(fastact.CLASSES[cls_name].__init__))
    assert stub_init(cls_name) == runtime
