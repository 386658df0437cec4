"""``fastact.sample``: an activation's values and derivatives as plain data.

Also the one place that turns what a user names (``"gelu"``, ``"LeakyReLU"``,
``"gelu_tanh"``, ``fastact.elu``, ``fastact.GELU(approximate=True)``, even a
numpy-ml activation object) into callables for fn, grad and grad2: the plots and
the command line resolve activations here, so they accept the same names and
fail with the same "did you mean" errors.
"""

import difflib

import numpy as np

from fastact.functional import FUNCTIONS, Activation

OPS = ("fn", "grad", "grad2")

# Names that are not a functional activation's own name: (activation, params).
ALIASES = {
    "logsigmoid": ("log_sigmoid", {}),                  # torch's spelling
    "gelu_tanh": ("gelu", {"approximate": "tanh"}),     # the kernel's name
}


def _key(name):
    """Spelling-insensitive key: GELU, gelu, LeakyReLU, leaky-relu, leaky_relu."""
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def known_names():
    """Every name ``resolve`` accepts: the activations, then the aliases."""
    return tuple(FUNCTIONS) + tuple(ALIASES)


def unknown_activation_message(name):
    """'unknown activation 'gleu'; did you mean 'gelu'?' (and the known names)."""
    names = known_names()
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:
        keys = {_key(n): n for n in names}
        close = [keys[k] for k in difflib.get_close_matches(_key(name), keys, n=1, cutoff=0.6)]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"unknown activation {name!r}{hint}\n"
            f"known activations: {', '.join(names)}")


def _by_name(name):
    if name in FUNCTIONS:
        return FUNCTIONS[name], {}
    if name in ALIASES:
        act, params = ALIASES[name]
        return FUNCTIONS[act], dict(params)
    keys = {_key(n): n for n in known_names()}
    if _key(name) in keys:
        return _by_name(keys[_key(name)])
    raise ValueError(unknown_activation_message(name))


def param_names(act):
    """The public parameter names of a functional activation, in order."""
    return [p for p in act.__signature__.parameters if p not in ("x", "out")]


def _format_value(v):
    return repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else repr(v)


class Resolved:
    """An activation made concrete: ``label`` and ``ops`` {op name: callable(x)}."""

    def __init__(self, name, label, ops, act=None, params=None):
        self.name = name
        self.label = label
        self.ops = ops
        self.act = act
        self.params = params or {}

    def __repr__(self):
        return f"<Resolved {self.label}>"


def resolve(activation, params=None):
    """A name, a functional activation or a class-API object, with parameters.

    ``params`` (a dict) go to a functional activation; each must be one of its
    parameters (else ``ValueError`` naming the ones it has).  An object with
    ``fn``, ``grad`` and ``grad2`` methods (fastact's class API, numpy-ml's) is
    used as it is: its parameters were given to its constructor.
    """
    params = dict(params or {})
    if isinstance(activation, Resolved):
        if params:
            raise ValueError("parameters cannot be added to an already resolved activation")
        return activation
    if isinstance(activation, str):
        act, implied = _by_name(activation)
        params = {**implied, **params}
    elif isinstance(activation, Activation):
        act = activation
    elif all(callable(getattr(activation, op, None)) for op in OPS):
        if params:
            raise ValueError(
                f"{activation}: parameters go to the class's constructor, not to params "
                f"(got {', '.join(params)})")
        ops = {op: getattr(activation, op) for op in OPS}
        for extra in ("grad_alpha",):
            if callable(getattr(activation, extra, None)):
                ops[extra] = getattr(activation, extra)
        return Resolved(type(activation).__name__, str(activation), ops)
    else:
        raise TypeError(
            "an activation is a name (e.g. 'gelu'), a fastact function (fastact.gelu) or "
            f"an object with fn, grad and grad2 methods (fastact.GELU()), not {activation!r}")
    names = param_names(act)
    for key in params:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{act.name} has no parameter {key!r}{hint} "
                f"(its parameters: {', '.join(names) or 'none'})")
    # Check the values now (a bad one raises ValueError naming the parameter).
    act(np.zeros(1), **params)
    ops = {op: (lambda f: lambda x: f(x, **params))(getattr(act, op) if op != "fn" else act)
           for op in OPS}
    for extra in vars(act):
        if not extra.startswith("_") and callable(vars(act)[extra]):
            ops[extra] = (lambda f: lambda x: f(x, **params))(vars(act)[extra])
    label = act.name
    if params:
        label += "(" + ", ".join(f"{k}={_format_value(v)}" for k, v in params.items()) + ")"
    return Resolved(act.name, label, ops, act, params)


def sample(activation, x, *, ops=OPS, **params):
    """The values of an activation and its derivatives at ``x``, as plain data.

    >>> d = fastact.sample("relu", [-1.0, 0.0, 2.0])
    >>> d["fn"], d["grad"], d["grad2"]
    ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0])

    activation: a name (``"gelu"``, ``"LeakyReLU"``, ``"gelu_tanh"``), a
    functional activation (``fastact.elu``) or a class-API object
    (``fastact.ELU(alpha=0.5)``).  x: a number or array-like; it is computed as
    fastact computes it (float32 stays float32; lists, integers and bool as
    float64) and every list holds Python floats (nested lists for an n-d x).
    ops: which of ``fn``, ``grad``, ``grad2`` (and an extra op such as prelu's
    ``grad_weight``) to include, in that order after ``x``.  params: the
    activation's parameters, e.g. ``sample("elu", x, alpha=0.5)``.

    The result is ready for ``json.dumps``; NaN and infinities stay floats
    (``json.dumps`` writes them as ``NaN`` / ``Infinity``).
    """
    r = resolve(activation, params)
    if isinstance(ops, str):
        ops = (ops,)
    bad = [op for op in ops if op not in r.ops]
    if bad:
        raise ValueError(f"{r.label} has no op {bad[0]!r} (ops: {', '.join(r.ops)})")
    xa = np.asarray(x)
    if xa.dtype.kind in "biu":
        xa = xa.astype(np.float64)
    out = {"x": xa.tolist()}
    for op in ops:
        out[op] = np.asarray(r.ops[op](xa)).tolist()
    if xa.ndim == 0:                     # a number in: lists of one value out
        out = {k: [v] for k, v in out.items()}
    return out
