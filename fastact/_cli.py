"""Command line: ``python -m fastact`` (or the installed ``fastact`` command).

    fastact                          what fastact is and does here, and a speed check
    fastact list [NAME ...]          every activation, its parameters and formulas
    fastact table relu -3 0 1.2      x, fn, grad, grad2 (--format text|csv|json)
    fastact plot relu gelu --out act.png    the curves (needs matplotlib)
    fastact bench                    the benchmark suite's quick mode

``fastact COMMAND --help`` describes each command.  Exit status: 0 on success,
2 for a usage error (unknown activation or parameter, bad value), 1 when a
command cannot run here (e.g. plot without matplotlib).
"""

import argparse
import difflib
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np

import fastact
from fastact._spec import KERNELS, KINK_CONVENTION
from fastact.sampling import ALIASES, OPS, param_names, resolve, unknown_activation_message


class CLIError(Exception):
    """A usage error: printed as ``fastact CMD: error: ...``, exit status 2."""

    status = 2


class CLIUnavailable(CLIError):
    """The command cannot run here (a missing optional dependency): exit status 1."""

    status = 1


# ----------------------------------------------------------------------------
# speed check (fastact with no command, and bench's fallback)

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
    print("  (NumPy: the allocating expression people write, gelu in its tanh form; "
          "speed-up: NumPy / fastact with out=)", file=file)
    return rows


def _plot_available():
    """Whether matplotlib can be imported (without importing it: that takes time)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):         # ValueError: sys.modules entry is None
        return False


def cmd_info(args):
    print(f"fastact {fastact.__version__}: neural-network activations with their first and "
          "second derivatives,\nelementwise over NumPy arrays (float32/float64), "
          "in place or allocating.")
    fastact.show_config()
    print(f"  activations ({len(fastact.ACTIVATIONS)}): " + ", ".join(fastact.ACTIVATIONS))
    print("  plots: " + ("matplotlib found (fastact plot, fastact.plot)" if _plot_available()
                         else "matplotlib missing (pip install 'fastact[plot]')"))
    print("  usage: fastact.gelu(x), fastact.gelu.grad(x), fastact.gelu.grad2(x, out=x)\n")
    speed_check(n=args.n)
    print("\nMore: `fastact list`, `fastact table gelu -3 0 3`, "
          "`fastact plot gelu silu --out act.png`, `fastact bench`, `fastact --help`.")
    return 0


# ----------------------------------------------------------------------------
# activations and their parameters on the command line

def _all_params():
    """{parameter: [(activation, default), ...]} over every functional activation."""
    out = {}
    for name, f in fastact.FUNCTIONS.items():
        for p in param_names(f):
            out.setdefault(p, []).append((name, f.__signature__.parameters[p].default))
    return out


_PARAM_NOTES = {"approximate": " ('none': exact, with erfc; or 'tanh')"}


def _add_param_options(parser, what):
    group = parser.add_argument_group(
        "activation parameters",
        _wrap(f"Give a parameter as --NAME VALUE (or --param NAME VALUE); {what}."))
    for p, users in _all_params().items():
        flags = [f"--{p}"] + ([f"--{p.replace('_', '-')}"] if "_" in p else [])
        defaults = ", ".join(f"{a} {d!r}" for a, d in users)
        group.add_argument(*flags, dest=f"param_{p}", metavar="VALUE",
                           help=f"default: {defaults}" + _PARAM_NOTES.get(p, ""))
    group.add_argument("--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                       default=[], help="any parameter by name, e.g. --param alpha 0.1 "
                       "(repeatable)")


def _given_params(args):
    """The parameters given on the command line, as strings: {name: value}."""
    given = {}
    for p in _all_params():
        v = getattr(args, f"param_{p}", None)
        if v is not None:
            given[p] = v
    for name, value in args.param:
        if name in given and given[name] != value:
            raise CLIError(f"parameter {name!r} given twice ({given[name]!r} and {value!r})")
        given[name] = value
    return given


def _convert(act, name, value):
    """A command-line string to the parameter's type (that of its default)."""
    default = act.__signature__.parameters[name].default
    if isinstance(default, str):
        return value
    try:
        return float(value)
    except ValueError:
        raise CLIError(f"--{name} {value!r}: not a number") from None


def _activation_params(name, given, *, strict=True):
    """resolve() a name with the given parameters it has (all of them if strict)."""
    try:
        base = resolve(name)
    except ValueError as e:
        raise CLIError(str(e)) from None
    names = param_names(base.act)
    params = {}
    for key, value in given.items():
        if key in names:
            params[key] = _convert(base.act, key, value)
        elif strict:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean --{close[0]}?" if close else ""
            raise CLIError(f"{base.act.name} has no parameter {key!r}{hint} "
                           f"(its parameters: {', '.join(names) or 'none'})")
    try:
        return resolve(name, params)
    except ValueError as e:
        raise CLIError(str(e)) from None


def _check_name(name):
    try:
        resolve(name)
    except ValueError:
        raise CLIError(unknown_activation_message(name)) from None


# ----------------------------------------------------------------------------
# list

def _kernels_of(name):
    """The kernels behind a functional activation: its default, then its aliases'."""
    f = fastact.FUNCTIONS[name]
    kernels = [f._bind(*f._defaults)[0]]
    for alias, (target, params) in ALIASES.items():
        if target == name and params:
            values = [params.get(p, d) for p, d in zip(f._param_names, f._defaults)]
            k = f._bind(*values)[0]
            if k not in kernels:
                kernels.append(k)
    return kernels


def _summary(f):
    """The first paragraph of an activation's docstring, on one line."""
    return " ".join(f.__doc__.split("\n\n")[0].split())


def _describe(name):
    f = fastact.FUNCTIONS[name]
    kernels = _kernels_of(name)
    formulas = {}
    for k in kernels:
        spec = KERNELS[k]
        formulas[k] = {op: spec[op] for op in OPS}
        formulas[k].update(spec.get("extra_ops", {}))
    return {
        "name": name,
        "summary": _summary(f),
        "parameters": {p: f.__signature__.parameters[p].default for p in param_names(f)},
        "ops": list(OPS) + [m for m in vars(f) if not m.startswith("_")
                            and callable(vars(f)[m])],
        "formulas": formulas,
        "kinks": {k: KERNELS[k]["kinks"] for k in kernels if "kinks" in KERNELS[k]},
    }


def cmd_list(args):
    names = []
    for n in args.names or fastact.ACTIVATIONS:
        r = _activation_params(n, {})
        if r.name not in names:
            names.append(r.name)
    if args.format == "json":
        print(json.dumps({"activations": [_describe(n) for n in names],
                          "aliases": {a: {"activation": t, "parameters": p}
                                      for a, (t, p) in ALIASES.items()},
                          "kink_convention": KINK_CONVENTION}, indent=1))
        return 0
    for name in names:
        f = fastact.FUNCTIONS[name]
        print(f"{name}{f.__signature__}")
        summary = f.__doc__.split("\n\n")[0].splitlines()
        for line in summary:
            print("    " + line)
        for line in f.__doc__.splitlines()[len(summary):]:
            if line.strip().startswith(("fn(x)", "grad(x)", "grad2(x)", "grad_alpha(x)")) \
                    or line.endswith(":") and line[:-1] in KERNELS:
                print("  " + line)
        print()
    if not args.names:
        print("Aliases: " + ", ".join(
            f"{a} = {t}" + "".join(f"({k}={v!r})" for k, v in p.items())
            for a, (t, p) in ALIASES.items()))
        print()
    print(KINK_CONVENTION)
    return 0


# ----------------------------------------------------------------------------
# table

def _csv_arg(text):
    items = [o.strip() for o in text.split(",") if o.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give a comma-separated list, e.g. fn,grad")
    return items


def _threads_arg(text):
    try:
        threads = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"thread counts are integers separated by commas, e.g. 1,2; got {text!r}") from None
    if not threads or min(threads) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be at least 1, got {text!r}")
    return threads


def _check_ops(r, ops):
    bad = [op for op in ops if op not in r.ops]
    if bad:
        close = difflib.get_close_matches(bad[0], list(r.ops), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CLIError(f"{r.label} has no op {bad[0]!r}{hint} (its ops: {', '.join(r.ops)})")


def cmd_table(args):
    r = _activation_params(args.activation, _given_params(args))
    _check_ops(r, args.ops)
    points = list(args.x)
    if args.range:
        start, stop, num = args.range
        if num != int(num) or num < 1:
            raise CLIError(f"--range: NUM must be a positive integer, got {num:g}")
        points += np.linspace(start, stop, int(num)).tolist()
    if not points:
        raise CLIError("no points: give x values (e.g. fastact table relu -1 0 1) "
                       "or --range START STOP NUM")
    x = np.array(points, dtype=args.dtype)
    try:
        with np.errstate(all="ignore"):
            cols = {"x": x, **{op: np.asarray(r.ops[op](x)) for op in args.ops}}
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    if args.format == "json":
        # One line per column: {"x": [...], "fn": [...], ...}, as fastact.sample gives.
        lines = [f" {json.dumps(k)}: {json.dumps([float(v) for v in c])}"
                 for k, c in cols.items()]
        print("{\n" + ",\n".join(lines) + "\n}")
    elif args.format == "csv":
        print(",".join(cols))
        for row in zip(*cols.values()):
            print(",".join(repr(float(v)) for v in row))
    else:
        print(f"# {r.label}, {np.dtype(args.dtype).name}")
        print("".join(f"{k:>24}" for k in cols))
        for row in zip(*cols.values()):
            print("".join(f"{float(v):>24.17g}" for v in row))
    return 0


# ----------------------------------------------------------------------------
# plot

def cmd_plot(args):
    names = args.activations or list(fastact.ACTIVATIONS)
    given = _given_params(args)
    for n in names:
        _check_name(n)
    resolved = [_activation_params(n, given, strict=len(names) == 1) for n in names]
    used = {k for r in resolved for k in r.params}
    unused = sorted(set(given) - used)
    if unused:
        theirs = sorted({p for r in resolved for p in param_names(r.act)})
        raise CLIError(f"none of {', '.join(names)} has the parameter {unused[0]!r} "
                       f"(theirs: {', '.join(theirs) or 'none'})")
    for r in resolved:
        _check_ops(r, args.ops)
    if not _plot_available():
        raise CLIUnavailable("plotting needs matplotlib, an optional dependency: "
                             "pip install 'fastact[plot]' (or pip install matplotlib)")
    out = args.out
    if out is None and not args.show:
        out = f"{resolved[0].name}.png" if len(resolved) == 1 else "activations.png"
    if out is not None:
        from matplotlib.backend_bases import FigureCanvasBase

        suffix = os.path.splitext(out)[1].lower().lstrip(".")
        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix not in formats:
            raise CLIError(f"--out {out!r}: give a file name ending in one of "
                           f".{', .'.join(sorted(formats))} (e.g. act.png, act.svg, act.pdf)")
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            raise CLIError(f"--out {out!r}: no directory {parent!r}")
    xmin, xmax = args.domain
    if not xmin < xmax:
        raise CLIError(f"--domain: XMIN must be less than XMAX, got {xmin:g} {xmax:g}")
    if args.num < 2:
        raise CLIError(f"--num must be at least 2, got {args.num}")
    kwargs = dict(ops=args.ops, num=args.num, ncols=args.ncols, path=out, title=args.title,
                  dpi=args.dpi, show=args.show)
    if args.size:
        kwargs["figsize"] = tuple(args.size)
    try:
        fig = fastact.plot(resolved, (xmin, xmax), **kwargs)
    except ValueError as e:
        raise CLIError(str(e)) from None
    if out is not None:
        w, h = fig.get_size_inches() * args.dpi
        print(f"wrote {out} ({len(resolved)} activation{'s' * (len(resolved) > 1)}, "
              f"{', '.join(args.ops)}, x in [{xmin:g}, {xmax:g}], {w:.0f}x{h:.0f} px)")
    return 0


# ----------------------------------------------------------------------------
# bench

_CASE_LINE = re.compile(r"^\s*(\d+)t\s+(\S+)\s+n=\s*(\d+)\s+(\S+)")
_WORKER_LINE = re.compile(r"^bench: (\d+) thread")


def find_bench_script():
    """benchmarks/bench.py of the source tree fastact is imported from, or of the
    current directory if it is fastact's; None when neither is there (an installed
    package comes without its benchmarks)."""
    pkg = os.path.dirname(os.path.abspath(fastact.__file__))
    tree = os.path.join(os.path.dirname(pkg), "benchmarks", "bench.py")
    if os.path.isfile(tree):
        return tree
    here = os.path.join(os.getcwd(), "benchmarks", "bench.py")
    if os.path.isfile(here):
        try:
            with open(here, encoding="utf-8") as f:
                if "fastact" in f.read(4000):
                    return here
        except OSError:
            pass
    return None


def _bench_module(script):
    """The benchmark script loaded as a module (for its case list), or None."""
    try:
        spec = importlib.util.spec_from_file_location("_fastact_bench", script)
        mod = importlib.util.module_from_spec(spec)
        saved = list(sys.path)
        try:
            spec.loader.exec_module(mod)
        finally:
            sys.path[:] = saved
        mod.P.CASES, mod.QUICK["only"]            # what is used below
        return mod
    except Exception:  # noqa: BLE001 - only the bar's length and --only's check need it
        return None


def _bench_total(mod, only, threads):
    """How many cases the quick run times (for the progress bar); None if unknown."""
    if mod is None:
        return None
    labels = only or mod.QUICK["only"]
    per_worker = sum(len(c.ops) for c in mod.P.CASES if c.label in labels)
    return per_worker * (len(threads) if threads else 2) or None


def _check_bench_labels(mod, only):
    if mod is None or not only:
        return
    labels = [c.label for c in mod.P.CASES]
    for label in only:
        if label not in labels:
            close = difflib.get_close_matches(label, labels, n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise CLIError(f"--only: unknown benchmark case {label!r}{hint}\n"
                           f"known cases: {', '.join(labels)}")


class _Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per step
    otherwise (logs, pipes)."""

    def __init__(self, total, stream=sys.stderr, width=28):
        self.total, self.stream, self.width = total, stream, width
        self.done, self.phase, self.t0 = 0, "starting", time.time()
        self.tty = stream.isatty()
        enc = (getattr(stream, "encoding", None) or "ascii").lower()
        self.full, self.empty = ("█", "░") if "utf" in enc else ("#", "-")
        self._shown = False

    def _line(self):
        total = max(self.total or 0, self.done)
        if total:
            k = round(self.width * self.done / total)
            bar = f"[{self.full * k}{self.empty * (self.width - k)}] {self.done}/{total}"
        else:
            bar = f"[{self.done} cases]"
        return f"bench {bar}  {self.phase}  {time.time() - self.t0:.0f}s"

    def draw(self):
        if self.tty:
            self.stream.write("\r\033[K" + self._line())
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()
        self._shown = True

    def message(self, text):
        """Print a line of the benchmark's own output without breaking the bar."""
        if self.tty and self._shown:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        if self.tty and self._shown:
            self.stream.write(self._line())
        self.stream.flush()

    def finish(self):
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def _bench_env(script):
    """The child's environment: it must import the fastact this command runs."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fastact.__file__)))
    if os.path.basename(root) not in ("site-packages", "dist-packages"):
        env["PYTHONPATH"] = os.pathsep.join(
            [root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def cmd_bench(args):
    script = args.script
    if script is not None and not os.path.isfile(script):
        raise CLIError(f"--script {script!r}: no such file")
    if script is None:
        script = find_bench_script()
    if script is None:
        print("fastact bench: the benchmark suite (benchmarks/bench.py) is not here: it comes "
              "with the source repository,\nnot with the installed package (run this in a "
              "checkout of fastact, or give --script PATH).\nRunning the built-in speed "
              "check instead (the one `fastact` prints with no command).\n", flush=True)
        if args.threads:
            fastact.set_num_threads(max(args.threads))
        speed_check(n=args.n)
        return 0

    mod = _bench_module(script)
    _check_bench_labels(mod, args.only)
    cmd = [sys.executable, script, "--quick", "-v"]
    if args.only:
        cmd += ["--only", ",".join(args.only)]
    if args.threads:
        cmd += ["--threads", ",".join(str(t) for t in args.threads)]
    if args.out:
        cmd += ["--out", args.out]
    if args.json:
        cmd += ["--json", args.json]
    shown = os.path.relpath(script) if not os.path.relpath(script).startswith("..") else script
    print(f"fastact bench: python {shown} --quick (fastact against what people write "
          "instead; peers that are not installed are skipped)", flush=True)
    progress = _Progress(_bench_total(mod, args.only, args.threads))
    threads = "?"
    t_start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_bench_env(script), text=True, encoding="utf-8",
                            errors="replace", bufsize=1)
    # The table (stdout) is printed once the bar is done; read it meanwhile.
    table = []
    reader = threading.Thread(target=lambda: table.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        for raw in proc.stderr:
            line = raw.rstrip("\n")
            m = _CASE_LINE.match(line)
            w = _WORKER_LINE.match(line)
            if m:
                progress.done += 1
                progress.phase = f"{m.group(1)} thread(s): {m.group(4)} done"
                if not args.no_progress:
                    progress.draw()
            elif w:
                threads = w.group(1)
                progress.phase = f"{threads} thread(s): starting"
                if not args.no_progress:
                    progress.draw()
            elif line.startswith(("[", "  setup")) or not line.strip():
                continue                  # per-worker summaries: the bar says it
            else:
                progress.message(line)
        rc = proc.wait()
        reader.join()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        progress.finish()
        print("fastact bench: interrupted", file=sys.stderr)
        return 130
    progress.finish()
    sys.stdout.write("".join(table))
    if rc != 0:
        print(f"fastact bench: {shown} failed (exit status {rc})", file=sys.stderr)
        return rc
    print(f"\nColumns per mode (in place, out=, allocating): fastact's ns per element, the "
          "fastest peer's ns per element\nand name, and the ratio fastact / that peer "
          "(below 1: fastact is faster; † fewer rounds than asked).\n"
          f"{progress.done} cases in {time.time() - t_start:.0f} s.  The full suite (about "
          f"22 minutes): python {shown} --out benchmarks/RESULTS.md")
    return 0


# ----------------------------------------------------------------------------
# the parser

_FORMATTER = argparse.RawDescriptionHelpFormatter


class _Parser(argparse.ArgumentParser):
    """argparse, with the closest name suggested for an invalid choice."""

    def error(self, message):
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            choices = re.findall(r"[\w-]+", m.group(2))
            close = difflib.get_close_matches(m.group(1), choices, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


def _wrap(text):
    """A description paragraph, wrapped (the raw formatter keeps the epilog's lines)."""
    return textwrap.fill(" ".join(text.split()), 79)


_MAIN_DESCRIPTION = f"""\
fastact {fastact.__version__}: neural-network activations with their first and
second derivatives, fast (Cython, OpenMP, SIMD) and accurate, on NumPy arrays.

With no command: what fastact is and does on this machine (version, OpenMP
threads, SIMD level, the activations) and a speed check against NumPy."""

_MAIN_EPILOG = """\
examples:
  fastact                                    info and a speed check
  fastact list gelu elu                      formulas of gelu and elu
  fastact table elu -2 -0.5 0 1 --alpha 0.5  values and derivatives at points
  fastact table gelu --range -3 3 7 --format csv
  fastact plot relu gelu silu --out act.png  plots (pip install 'fastact[plot]')
  fastact bench                              fastact against its peers (quick)

`fastact COMMAND --help` for each command's options."""


def _parser():
    parser = _Parser(
        prog="fastact", description=_MAIN_DESCRIPTION, epilog=_MAIN_EPILOG,
        formatter_class=_FORMATTER)
    parser.add_argument("--version", action="version",
                        version=f"fastact {fastact.__version__}")
    parser.add_argument("--n", type=int, default=1_000_000, metavar="N",
                        help="array size of the speed check (default 1000000)")
    parser.add_argument("--threads", type=int, default=None, metavar="T",
                        help="OpenMP threads of the speed check (default: all, "
                             "OMP_NUM_THREADS)")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    p = sub.add_parser(
        "list", formatter_class=_FORMATTER,
        help="every activation with its parameters, defaults and formulas",
        description=_wrap("Every activation (or the ones named) with its signature, parameters "
                          "and defaults, and the formulas of fn, grad and grad2."),
        epilog="examples:\n  fastact list\n  fastact list gelu leaky_relu\n"
               "  fastact list --format json")
    p.add_argument("names", nargs="*", metavar="ACTIVATION",
                   help="activations to describe (default: all)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default) or json (name, parameters, ops, formulas, kinks)")

    p = sub.add_parser(
        "table", formatter_class=_FORMATTER,
        help="x, fn, grad, grad2 of one activation at given points",
        description=_wrap("Evaluate one activation and its derivatives at the given points: a "
                          "table of x, fn, grad, grad2, as text, CSV or JSON."),
        epilog="examples:\n"
               "  fastact table relu -3 -0.7 0 1.2 5\n"
               "  fastact table elu -1 0 1 --alpha 0.5 --format json\n"
               "  fastact table leaky_relu -1 1 --negative-slope 0.2\n"
               "  fastact table gelu --approximate tanh --range -3 3 13 --format csv\n"
               "  fastact table prelu -2 3 --ops fn,grad_weight\n"
               "Values are computed in --dtype (default float64) and printed exactly "
               "(CSV/JSON: shortest round-trip repr).")
    p.add_argument("activation", help="activation name, e.g. gelu (see `fastact list`)")
    p.add_argument("x", type=float, nargs="*", help="points at which to evaluate")
    p.add_argument("--range", type=float, nargs=3, metavar=("START", "STOP", "NUM"),
                   help="also NUM evenly spaced points from START to STOP (inclusive)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text",
                   help="text (default), csv (header x,fn,grad,grad2) or json "
                        "({\"x\": [...], \"fn\": [...], ...})")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the computation (default float64)")
    p.add_argument("--ops", type=_csv_arg, default=list(OPS), metavar="OPS",
                   help="comma-separated columns after x (default fn,grad,grad2; prelu "
                        "also has grad_weight)")
    _add_param_options(p, "each must be a parameter of the activation")

    p = sub.add_parser(
        "plot", formatter_class=_FORMATTER,
        help="plot activations with their derivatives (PNG/SVG/PDF; needs matplotlib)",
        description=_wrap("Plot activations with their first and second derivatives, one panel "
                          "per activation (a grid for many), to a PNG, SVG or PDF file. Needs "
                          "matplotlib: pip install 'fastact[plot]'."),
        epilog="examples:\n"
               "  fastact plot relu gelu --out act.png\n"
               "  fastact plot elu celu --alpha 0.5 --domain -4 2 --out elu.svg\n"
               "  fastact plot gelu gelu_tanh --ops grad,grad2 --out gelu.pdf\n"
               "  fastact plot --ncols 5 --out all.png    (every activation)\n"
               "A parameter goes to every plotted activation that has it.")
    p.add_argument("activations", nargs="*", metavar="ACTIVATION",
                   help="activations to plot (default: every one); gelu_tanh is gelu "
                        "with approximate='tanh'")
    p.add_argument("--out", "-o", metavar="PATH",
                   help="output file; the suffix picks the format (default: NAME.png for "
                        "one activation, activations.png for several)")
    p.add_argument("--domain", type=float, nargs=2, default=(-5.0, 5.0),
                   metavar=("XMIN", "XMAX"), help="x range (default -5 5)")
    p.add_argument("--ops", type=_csv_arg, default=list(OPS), metavar="OPS",
                   help="comma-separated curves to draw (default fn,grad,grad2)")
    p.add_argument("--num", type=int, default=1001, help="points per curve (default 1001)")
    p.add_argument("--ncols", type=int, default=None,
                   help="panels per row (default: one row up to 4, else about square)")
    p.add_argument("--size", type=float, nargs=2, metavar=("W", "H"),
                   help="figure size in inches (default 3.6 x 2.7 per panel)")
    p.add_argument("--dpi", type=float, default=100, help="dots per inch (default 100)")
    p.add_argument("--title", help="a title above the panels")
    p.add_argument("--show", action="store_true",
                   help="open a window (pyplot) instead of, or besides, writing --out")
    _add_param_options(p, "it goes to every plotted activation that has it")

    p = sub.add_parser(
        "bench", formatter_class=_FORMATTER,
        help="the benchmark suite's quick mode: fastact against its peers",
        description=_wrap("Run the benchmark suite's quick mode (benchmarks/bench.py --quick: "
                          "float32, n = 10^6, a few activations, 1 and 2 threads, usually under "
                          "a minute) with a progress bar on stderr, then print the table of "
                          "ratios fastact / fastest peer. Peers (NumPy, SciPy, torch, numexpr, "
                          "numba, jax) that are not installed are skipped. The suite comes with "
                          "the source repository; without it (an installed package) this runs "
                          "the built-in speed check instead."),
        epilog="examples:\n  fastact bench\n  fastact bench --only gelu,mish --threads 1\n"
               "  fastact bench --out /tmp/RESULTS.md")
    p.add_argument("--only", type=_csv_arg, metavar="LABELS",
                   help="comma-separated activations (bench case labels, e.g. relu,gelu,"
                        "gelu_tanh; default: the quick mode's)")
    p.add_argument("--threads", type=_threads_arg,
                   metavar="T1,T2", help="thread counts, e.g. 1 or 1,2 (default 1,2)")
    p.add_argument("--out", metavar="FILE", help="also write the markdown report (and "
                   "its plot next to it)")
    p.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    p.add_argument("--script", metavar="PATH",
                   help="the benchmark script (default: benchmarks/bench.py of the source "
                        "tree)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--n", type=int, default=1_000_000,
                   help="array size of the fallback speed check (default 1000000)")
    return parser


_COMMANDS = {"list": cmd_list, "table": cmd_table, "plot": cmd_plot, "bench": cmd_bench}


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None and args.threads is not None:
            if args.threads < 1:
                raise CLIError(f"--threads must be at least 1, got {args.threads}")
            fastact.set_num_threads(args.threads)
        if args.command is None and args.n < 1:
            raise CLIError(f"--n must be at least 1, got {args.n}")
        return _COMMANDS.get(args.command, cmd_info)(args)
    except CLIError as e:
        prog = "fastact" + (f" {args.command}" if args.command else "")
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:                      # fastact list | head
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
