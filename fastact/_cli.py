"""Command line: ``python -m fastact`` (or the installed ``fastact`` command).

    fastact                      what fastact is and does here, and a speed check
    fastact list                 every activation, its parameters and formulas
    fastact table relu -3 0 1.2  x, fn, grad, grad2 (--format text|csv|json)
"""

import argparse
import difflib
import json
import sys
import time

import numpy as np

import fastact
from fastact._spec import KERNELS, KINK_CONVENTION


def _activation(name):
    f = fastact.FUNCTIONS.get(name)
    if f is None:
        close = difflib.get_close_matches(name, fastact.ACTIVATIONS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SystemExit(f"fastact: unknown activation {name!r}{hint}\n"
                         f"known: {', '.join(fastact.ACTIVATIONS)}")
    return f


# What a user would write in NumPy instead (allocating, as people write it).
_NUMPY_EXPRESSIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3))),
}
_FASTACT_CALLS = {
    "gelu": lambda x: fastact.gelu(x, approximate="tanh"),
}


def _median_times(funcs, repeats):
    """Median seconds of each function, repeats interleaved (noise hits all alike)."""
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for i, f in enumerate(funcs):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def speed_check(n=1_000_000, repeats=7, dtype=np.float32, file=None):
    """fastact vs the NumPy expression, allocating and in place; returns the rows."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(dtype) * 4
    buf = np.empty_like(x)
    rows = []
    for name, np_expr in _NUMPY_EXPRESSIONS.items():
        fa_call = _FASTACT_CALLS.get(name, fastact.FUNCTIONS[name])
        fa_out = (lambda f: lambda: f(x, out=buf))(fastact.FUNCTIONS[name])
        if name == "gelu":
            fa_out = lambda: fastact.gelu(x, approximate="tanh", out=buf)  # noqa: E731
        with np.errstate(all="ignore"):
            t_np, t_fa, t_fa_out = _median_times(
                [lambda: np_expr(x), lambda: fa_call(x), fa_out], repeats
            )
        rows.append((name, t_np, t_fa, t_fa_out))
    print(f"speed check: n = {n:,} {np.dtype(dtype).name}, median of {repeats}, "
          f"{fastact.num_threads()} thread(s)", file=file)
    print(f"  {'activation':<11}{'NumPy':>10}{'fastact':>10}{'out=':>10}{'speed-up':>10}",
          file=file)
    for name, t_np, t_fa, t_out in rows:
        print(f"  {name:<11}{t_np * 1e3:>8.2f}ms{t_fa * 1e3:>8.2f}ms{t_out * 1e3:>8.2f}ms"
              f"{t_np / t_out:>9.1f}x", file=file)
    return rows


def cmd_info(args):
    print(f"fastact {fastact.__version__}: neural-network activations with their first and "
          "second derivatives,\nelementwise over NumPy arrays (float32/float64), "
          "in place or allocating.")
    fastact.show_config()
    print(f"  activations ({len(fastact.ACTIVATIONS)}): " + ", ".join(fastact.ACTIVATIONS))
    print("  usage: fastact.gelu(x), fastact.gelu.grad(x), fastact.gelu.grad2(x, out=x)\n")
    speed_check(n=args.n)
    print("\nMore: `python -m fastact list`, `python -m fastact table gelu -3 0 3`.")


def cmd_list(args):
    for name in fastact.ACTIVATIONS:
        f = fastact.FUNCTIONS[name]
        print(f"{name}{f.__signature__}")
        print("    " + f.__doc__.splitlines()[0])
        for line in f.__doc__.splitlines()[1:]:
            if line.strip().startswith(("fn(x)", "grad(x)", "grad2(x)", "grad_alpha(x)")) \
                    or line.endswith(":") and line[:-1] in KERNELS:
                print("  " + line)
        print()
    print(KINK_CONVENTION)


def _parse_params(f, pairs):
    params = {}
    names = list(f.__signature__.parameters)[1:-1]
    for key, value in pairs:
        if key not in names:
            raise SystemExit(f"fastact: {f.name} has no parameter {key!r} "
                             f"(parameters: {', '.join(names) or 'none'})")
        try:
            params[key] = float(value)
        except ValueError:
            params[key] = value          # e.g. gelu --approximate tanh
    return params


def cmd_table(args):
    f = _activation(args.activation)
    params = _parse_params(f, args.param or [])
    x = np.array(args.x, dtype=np.float64)
    try:
        cols = {"x": x, "fn": f(x, **params), "grad": f.grad(x, **params),
                "grad2": f.grad2(x, **params)}
    except (TypeError, ValueError) as e:
        raise SystemExit(f"fastact: {e}")
    if args.format == "json":
        print(json.dumps({k: [float(v) for v in c] for k, c in cols.items()}, indent=1))
    elif args.format == "csv":
        print(",".join(cols))
        for row in zip(*cols.values()):
            print(",".join(repr(float(v)) for v in row))
    else:
        print("".join(f"{k:>24}" for k in cols))
        for row in zip(*cols.values()):
            print("".join(f"{float(v):>24.17g}" for v in row))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="fastact", description="fastact: activations and their derivatives.")
    parser.add_argument("--n", type=int, default=1_000_000,
                        help="array size of the speed check (default 10^6)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="every activation with its parameters and formulas")
    table = sub.add_parser("table", help="x, fn, grad, grad2 of one activation")
    table.add_argument("activation")
    table.add_argument("x", type=float, nargs="+", help="points at which to evaluate")
    table.add_argument("--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                       help="a parameter, e.g. --param alpha 0.1 (repeatable)")
    table.add_argument("--format", choices=("text", "csv", "json"), default="text")
    args = parser.parse_args(argv)
    {"list": cmd_list, "table": cmd_table}.get(args.command, cmd_info)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
