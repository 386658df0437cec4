"""fastact.plot (rendered to real PNG files) and fastact.sample, the data behind it."""

import json
import subprocess
import sys

import numpy as np
import pytest

import fastact
from fastact.plotting import break_jumps

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """(width, height) from the IHDR chunk, which must come first."""
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def render(tmp_path, name, activations, **kw):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    path = tmp_path / f"{name}.png"
    kw.setdefault("figsize", (4.0, 3.0))
    kw.setdefault("dpi", 50)
    fig = fastact.plot(activations, path=path, **kw)
    data = path.read_bytes()
    return fig, data, matplotlib.image.imread(path)


def curves(fig):
    """{(panel title, op): (x, y)} of the drawn lines (the gid is the op)."""
    out = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid():
                out[(ax.get_title(), line.get_gid())] = (np.asarray(line.get_xdata()),
                                                         np.asarray(line.get_ydata()))
    return out


# ---------------------------------------------------------------------------- PNG

def test_png_is_valid_sized_and_not_blank(tmp_path):
    fig, data, pixels = render(tmp_path, "relu", "relu")
    assert data.startswith(PNG_SIGNATURE)
    assert data.rstrip().endswith(b"IEND\xaeB`\x82")
    assert png_size(data) == (200, 150)                 # 4 x 3 inches at 50 dpi
    assert pixels.shape[:2] == (150, 200)
    rgb = pixels[..., :3]
    # Mostly white background, but a real drawing: many non-white pixels, and the
    # curves' colours (matplotlib's C0 blue, C1 orange) are there.
    nonwhite = (rgb < 0.9).any(axis=-1).mean()
    assert 0.03 < nonwhite < 0.6, nonwhite
    blue = (np.abs(rgb - np.array([0.12, 0.47, 0.71])) < 0.12).all(axis=-1).sum()
    orange = (np.abs(rgb - np.array([1.0, 0.5, 0.05])) < 0.15).all(axis=-1).sum()
    assert blue > 50 and orange > 20, (blue, orange)


def test_different_activations_give_different_images(tmp_path):
    _, relu1, px_relu1 = render(tmp_path, "relu1", "relu")
    _, relu2, px_relu2 = render(tmp_path, "relu2", "relu")
    _, tanh, px_tanh = render(tmp_path, "tanh", "tanh")
    _, sig, px_sig = render(tmp_path, "sigmoid", "sigmoid")
    # Deterministic: the same activation draws the same pixels ...
    assert np.array_equal(px_relu1, px_relu2)
    # ... and different activations different ones, by far more than a title.
    for a, b in ((px_relu1, px_tanh), (px_tanh, px_sig), (px_relu1, px_sig)):
        assert a.shape == b.shape
        differ = (np.abs(a - b) > 0.1).any(axis=-1).mean()
        assert differ > 0.02, differ


def test_parameters_change_the_curves(tmp_path):
    _, _, px_default = render(tmp_path, "elu1", "elu")
    fig, _, px_alpha = render(tmp_path, "elu2", "elu", params={"alpha": 0.3})
    assert (np.abs(px_default - px_alpha) > 0.1).any(axis=-1).mean() > 0.01
    assert fig.axes[0].get_title() == "elu(alpha=0.3)"


def test_svg_and_pdf(tmp_path):
    pytest.importorskip("matplotlib")
    fastact.plot("gelu", path=tmp_path / "g.svg")
    fastact.plot("gelu", path=tmp_path / "g.pdf")
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------------------- figure

def test_curves_are_the_library_values():
    pytest.importorskip("matplotlib")
    fig = fastact.plot(["relu", "gelu", "softplus"], (-3, 3), num=301,
                       params={"beta": 2.0})
    drawn = curves(fig)
    for title, f, kw in (("relu", fastact.relu, {}), ("gelu", fastact.gelu, {}),
                         ("softplus(beta=2)", fastact.softplus, {"beta": 2.0})):
        for op, fn in (("fn", f), ("grad", f.grad), ("grad2", f.grad2)):
            x, y = drawn[(title, op)]
            ok = np.isfinite(y)
            assert ok.sum() >= 300 and x[ok].min() == -3 and x[ok].max() == 3
            np.testing.assert_array_equal(y[ok], fn(x[ok], **kw))


def test_grid_of_panels_and_layout():
    pytest.importorskip("matplotlib")
    fig = fastact.plot(None)                            # every activation
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == list(fastact.ACTIVATIONS)
    assert len(fig.axes) == 25                          # 23 in a 5 x 5 grid, 2 hidden
    fig = fastact.plot(["relu", "tanh", "elu", "mish", "silu"], ncols=2)
    assert len(fig.axes) == 6 and sum(ax.axison for ax in fig.axes) == 5
    np.testing.assert_allclose(fig.get_size_inches(), (7.2, 8.1))   # 2 x 3 of 3.6 x 2.7


def test_jumps_are_gaps_not_vertical_lines():
    pytest.importorskip("matplotlib")
    drawn = curves(fastact.plot(["relu", "hardswish", "softsign"], num=1001))
    for title, op, n_gaps in (("relu", "fn", 0), ("relu", "grad", 1),
                              ("hardswish", "fn", 0), ("hardswish", "grad", 2),
                              ("hardswish", "grad2", 2), ("softsign", "grad2", 1),
                              ("softsign", "grad", 0)):
        x, y = drawn[(title, op)]
        assert np.isnan(y).sum() == n_gaps, (title, op)
    x, y = drawn[("relu", "grad")]
    gap = np.flatnonzero(np.isnan(y))[0]
    assert x[gap - 1] <= 0 < x[gap + 1]


def test_break_jumps_keeps_smooth_curves_whole():
    x = np.linspace(-7, 7, 201)
    for y in (np.exp(x), np.tanh(3 * x), np.abs(x), np.sin(x)):
        xs, ys = break_jumps(x, y)
        assert not np.isnan(ys).any()
    xs, ys = break_jumps(x, np.where(x > 1, 1.0, 0.0))
    assert np.isnan(ys).sum() == 1 and len(xs) == len(x) + 1


def test_accepts_functions_objects_and_aliases():
    pytest.importorskip("matplotlib")
    fig = fastact.plot([fastact.elu, fastact.GELU(approximate=True), "gelu_tanh",
                        "LeakyReLU"], ops=("grad",))
    assert [ax.get_title() for ax in fig.axes] == [
        "elu", "GELU(approximate=True)", "gelu(approximate='tanh')", "leaky_relu"]
    drawn = curves(fig)
    x, y = drawn[("GELU(approximate=True)", "grad")]
    np.testing.assert_array_equal(y, fastact.gelu.grad(x, approximate="tanh"))
    assert np.array_equal(y, drawn[("gelu(approximate='tanh')", "grad")][1])


def test_plot_errors():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="did you mean 'gelu'"):
        fastact.plot("gleu")
    with pytest.raises(ValueError, match="no activation to plot has the parameter 'alpha'"):
        fastact.plot(["relu", "tanh"], params={"alpha": 1.0})
    with pytest.raises(ValueError, match="must be > 0"):
        fastact.plot("softplus", params={"beta": -1.0})
    with pytest.raises(ValueError, match="domain"):
        fastact.plot("relu", (1, -1))
    with pytest.raises(ValueError, match="no op 'grad3'"):
        fastact.plot("relu", ops=("fn", "grad3"))
    with pytest.raises(TypeError, match="an activation is a name"):
        fastact.plot(3.5)


def test_import_error_names_the_extra():
    """Without matplotlib: a clear ImportError; importing fastact still works."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import fastact\n"
            "try:\n"
            "    fastact.plot('relu')\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "pip install 'fastact[plot]'" in p.stdout


# ---------------------------------------------------------------------------- sample

def test_sample_plain_data():
    d = fastact.sample("relu", [-3, -0.7, 0, 1.2, 5])
    assert d == {"x": [-3.0, -0.7, 0.0, 1.2, 5.0], "fn": [0.0, 0.0, 0.0, 1.2, 5.0],
                 "grad": [0.0, 0.0, 0.0, 1.0, 1.0], "grad2": [0.0, 0.0, 0.0, 0.0, 0.0]}
    assert all(type(v) is float for col in d.values() for v in col)
    assert json.loads(json.dumps(d)) == d


def test_sample_matches_the_library():
    x = np.linspace(-6, 6, 97)
    for name, f in fastact.FUNCTIONS.items():
        d = fastact.sample(name, x)
        assert d["x"] == x.tolist()
        assert d["fn"] == f(x).tolist(), name
        assert d["grad"] == f.grad(x).tolist(), name
        assert d["grad2"] == f.grad2(x).tolist(), name


def test_sample_options():
    x = np.array([-1.0, 0.5], dtype=np.float32)
    d = fastact.sample(fastact.elu, x, alpha=0.5, ops=("fn",))
    assert list(d) == ["x", "fn"]
    assert d["fn"] == fastact.elu(x, alpha=0.5).tolist()
    assert d["fn"][0] != fastact.elu(-1.0, alpha=0.5)            # computed in float32
    assert fastact.sample("gelu", 1.0) == {k: [v[0]] for k, v in
                                           fastact.sample("gelu", [1.0]).items()}
    assert fastact.sample("prelu", [-2, 3], ops="grad_weight") == {
        "x": [-2.0, 3.0], "grad_weight": [-2.0, 0.0]}
    assert fastact.sample(fastact.LeakyReLU(alpha=0.3), [-1.0])["grad"] == [0.3]
    assert fastact.sample("relu", [[1, -1], [2, 0]])["fn"] == [[1.0, 0.0], [2.0, 0.0]]
    with pytest.raises(ValueError, match="has no parameter 'alpha'.*negative_slope"):
        fastact.sample("leaky_relu", [1.0], alpha=0.1)
    with pytest.raises(ValueError, match="did you mean 'sigmoid'"):
        fastact.sample("sigmod", [1.0])
    with pytest.raises(ValueError, match="constructor"):
        fastact.sample(fastact.ELU(), [1.0], alpha=2.0)
