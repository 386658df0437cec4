"""``fastact.plot``: activations and their first and second derivatives.

matplotlib is optional (``pip install 'fastact[plot]'``) and imported only when
a plot is drawn.  The figure is a plain ``matplotlib.figure.Figure``, not one
managed by pyplot (no global state, no display needed), unless ``show=True``.
"""

import math

import numpy as np

from fastact.sampling import OPS, resolve

# How each op is drawn: colour (matplotlib's default cycle), line style, label.
STYLE = {
    "fn": dict(color="C0", linestyle="-", linewidth=2.0, label="fn(x)"),
    "grad": dict(color="C1", linestyle="--", linewidth=1.6, label="grad(x)"),
    "grad2": dict(color="C2", linestyle=":", linewidth=1.6, label="grad2(x)"),
    "grad_weight": dict(color="C3", linestyle="-.", linewidth=1.4, label="grad_weight(x)"),
    "grad_alpha": dict(color="C3", linestyle="-.", linewidth=1.4, label="grad_alpha(x)"),
}

PANEL_SIZE = (3.6, 2.7)          # inches per panel


def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            "fastact.plot needs matplotlib, an optional dependency: "
            "pip install 'fastact[plot]' (or pip install matplotlib)") from e
    return Figure


def break_jumps(x, y):
    """Insert NaN (a gap in the line) wherever y jumps between two grid points.

    A jump is a step much larger than both neighbouring steps (and visible at
    the curve's scale): relu'(0), hardtanh'(±1), softsign''(0), ...  A kink of
    a continuous curve is not a jump, so fn is drawn unbroken.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if y.size < 3:
        return x, y
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return x, y
    scale = float(finite.max() - finite.min())
    d = np.abs(np.diff(y))
    prev = np.concatenate(([0.0], d[:-1]))
    nxt = np.concatenate((d[1:], [0.0]))
    with np.errstate(invalid="ignore"):
        jump = (d > 10.0 * np.maximum(prev, nxt)) & (d > 1e-3 * scale) & (scale > 0)
    idx = np.flatnonzero(jump) + 1
    if idx.size == 0:
        return x, y
    xm = (x[idx - 1] + x[idx]) / 2
    return np.insert(x, idx, xm), np.insert(y, idx, np.nan)


def _as_list(activations):
    if activations is None:
        import fastact

        return list(fastact.ACTIVATIONS)
    if isinstance(activations, (str, bytes)) or not isinstance(activations, (list, tuple)):
        return [activations]
    return list(activations)


def _grid_shape(n, ncols):
    if ncols is None:
        ncols = n if n <= 4 else math.ceil(math.sqrt(n))
    ncols = max(1, min(int(ncols), n))
    return math.ceil(n / ncols), ncols


def plot(activations=None, domain=(-5.0, 5.0), *, ops=OPS, params=None, num=1001,
         ncols=None, path=None, title=None, figsize=None, dpi=100, show=False):
    """Plot activations with their first and second derivatives.

    One panel per activation (a grid of panels for many), each with fn (solid),
    grad (dashed) and grad2 (dotted) over ``domain``; derivatives are broken,
    not joined by a vertical line, where they jump (at a kink the kernels return
    the left-hand value: see ``fastact.KINK_CONVENTION``).

    activations: a name (``"gelu"``, ``"gelu_tanh"``, ``"LeakyReLU"``), a
        functional activation (``fastact.elu``), a class-API object
        (``fastact.ELU(alpha=0.5)``), or a list of them; None: every activation.
    domain: (xmin, xmax).  num: points per curve.
    ops: which of fn, grad, grad2 (and ``grad_weight`` for prelu) to draw.
    params: a dict of parameters, given to every activation that has them, e.g.
        ``{"alpha": 0.5}``; each must belong to at least one of them.
    ncols: panels per row (default: all in one row up to 4, else about square).
    path: save the figure there too; the format follows the suffix (.png, .svg,
        .pdf, anything matplotlib writes), at ``dpi``.
    title: the figure's title.  figsize: (width, height) in inches (default
        3.6 x 2.7 per panel).  show: draw with pyplot and show the window.

    Returns the ``matplotlib.figure.Figure``.  Needs matplotlib: ``pip install
    'fastact[plot]'``.
    """
    Figure = _matplotlib()
    acts = _as_list(activations)
    if not acts:
        raise ValueError("no activation to plot")
    lo, hi = (float(v) for v in domain)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"domain must be two finite numbers xmin < xmax, got {domain!r}")
    num = int(num)
    if num < 2:
        raise ValueError(f"num must be >= 2, got {num}")
    if isinstance(ops, str):
        ops = (ops,)
    params = dict(params or {})

    resolved = []
    used = set()
    for a in acts:
        probe = resolve(a)
        mine = {}
        if probe.act is not None:
            names = [p for p in probe.act.__signature__.parameters if p not in ("x", "out")]
            mine = {k: v for k, v in params.items() if k in names}
            used |= set(mine)
        resolved.append(resolve(a, {**probe.params, **mine}) if mine else probe)
    unused = sorted(set(params) - used)
    if unused:
        raise ValueError(
            f"no activation to plot has the parameter {unused[0]!r} "
            f"(plotted: {', '.join(r.name for r in resolved)})")
    for r in resolved:
        bad = [op for op in ops if op not in r.ops]
        if bad:
            raise ValueError(f"{r.label} has no op {bad[0]!r} (ops: {', '.join(r.ops)})")

    nrows, ncols = _grid_shape(len(resolved), ncols)
    if figsize is None:
        figsize = (PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows + (0.4 if title else 0.0))
    if show:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, dpi=dpi, layout="constrained")
    else:
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    x = np.linspace(lo, hi, num)
    for k, ax in enumerate(axes.flat):
        if k >= len(resolved):
            ax.set_axis_off()
            continue
        r = resolved[k]
        ax.axhline(0.0, color="0.75", linewidth=0.8, zorder=0)
        ax.axvline(0.0, color="0.75", linewidth=0.8, zorder=0)
        for op in ops:
            with np.errstate(all="ignore"):
                y = np.asarray(r.ops[op](x), dtype=np.float64)
            xs, ys = break_jumps(x, y)
            style = dict(STYLE.get(op, dict(label=f"{op}(x)")))
            ax.plot(xs, ys, gid=op, **style)
        ax.set_title(r.label, fontsize=10)
        ax.set_xlim(lo, hi)
        ax.grid(True, linewidth=0.4, alpha=0.5)
        ax.tick_params(labelsize=8)
    if len(resolved) == 1:
        axes.flat[0].legend(fontsize=8, loc="best")
    else:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        try:                                   # matplotlib >= 3.7
            # Below the panels when the title is above them (they would overlap).
            fig.legend(handles, labels, ncol=len(labels), fontsize=9, frameon=False,
                       loc="outside lower center" if title else "outside upper center")
        except (ValueError, TypeError):
            axes.flat[0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig
