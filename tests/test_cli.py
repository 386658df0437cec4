"""The command line, driven as a user drives it: ``python -m fastact ...`` in a
subprocess (the environment, PYTHONPATH included, is inherited), checking exit
statuses and what is printed against the library itself."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastact
from fastact import _cli

TIMEOUT = 120


def run(*args, expect=0, cwd=None, env=None):
    """Run ``python -m fastact ARGS``; assert its exit status; return the result."""
    p = subprocess.run([sys.executable, "-m", "fastact", *map(str, args)],
                       capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT,
                       cwd=cwd, env=env)
    if expect is not None:
        assert p.returncode == expect, (
            f"fastact {' '.join(map(str, args))}: exit {p.returncode}, expected {expect}\n"
            f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def run_code(code, **kw):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8", timeout=TIMEOUT, **kw)


def table_json(*args):
    return json.loads(run("table", *args, "--format", "json").stdout)


# ---------------------------------------------------------------------------- help

SUBCOMMAND_OPTIONS = {
    "list": ["--format"],
    "table": ["--format", "--range", "--dtype", "--ops", "--param", "--alpha",
              "--negative-slope", "--approximate", "--beta", "--min-val", "--max-val"],
    "plot": ["--out", "--domain", "--ops", "--num", "--ncols", "--size", "--dpi", "--title",
             "--show", "--alpha", "--param"],
    "bench": ["--only", "--threads", "--out", "--json", "--script", "--no-progress", "--n"],
}


def test_main_help_lists_every_command():
    out = run("--help").stdout
    assert out.startswith("usage: fastact")
    for cmd in SUBCOMMAND_OPTIONS:
        assert f"\n    {cmd} " in out, cmd
    assert "--n N" in out and "--threads" in out and "examples:" in out


@pytest.mark.parametrize("cmd", sorted(SUBCOMMAND_OPTIONS))
def test_subcommand_help(cmd):
    out = run(cmd, "--help").stdout
    assert out.startswith(f"usage: fastact {cmd}")
    for option in SUBCOMMAND_OPTIONS[cmd]:
        assert option in out, f"fastact {cmd} --help does not mention {option}"
    assert "examples:" in out
    assert f"fastact {cmd}" in out.split("examples:")[1]


def test_version():
    assert run("--version").stdout.strip() == f"fastact {fastact.__version__}"


def test_installed_console_script():
    """The `fastact` command of this environment (when the package is installed)."""
    script = shutil.which("fastact", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("fastact is not installed in this environment (no console script)")
    p = subprocess.run([script, "table", "relu", "-1", "2", "--format", "json"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["fn"] == [0.0, 2.0]


# ---------------------------------------------------------------------------- info

def test_info_and_speed_check():
    p = run("--n", 20_000, "--threads", 1)
    out = p.stdout
    assert f"fastact {fastact.__version__}" in out
    assert "OpenMP:" in out and "SIMD" in out
    assert "threads: 1" in out
    assert f"activations ({len(fastact.ACTIVATIONS)}): " + ", ".join(fastact.ACTIVATIONS) in out
    assert "speed check: n = 20,000 float32" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")
            and line.split() and line.split()[0] in _cli._NUMPY_EXPRESSIONS]
    assert [r[0] for r in rows] == list(_cli._NUMPY_EXPRESSIONS)
    for r in rows:                           # NumPy, fastact, out= times and a speed-up
        assert r[1].endswith("ms") and r[3].endswith("ms") and r[4].endswith("x")
        assert float(r[4][:-1]) > 0


def test_bad_top_level_values():
    p = run("--n", 0, expect=2)
    assert "--n must be at least 1" in p.stderr
    p = run("--threads", 0, expect=2)
    assert "--threads must be at least 1" in p.stderr


# ---------------------------------------------------------------------------- list

def test_list_text_has_every_activation_and_formula():
    out = run("list").stdout
    for name, f in fastact.FUNCTIONS.items():
        assert f"{name}{f.__signature__}" in out
    assert "grad2(x)  = phi(x) * (2 - x^2)" in out            # gelu's, from _spec.py
    assert "left-hand derivative" in out
    assert "gelu_tanh = gelu(approximate='tanh')" in out


def test_list_named_and_json():
    out = run("list", "elu", "LeakyReLU").stdout
    assert out.startswith("elu(x, alpha=1.0, *, out=None)")
    assert "leaky_relu(x, negative_slope=0.01, *, out=None)" in out
    assert "relu6" not in out
    data = json.loads(run("list", "--format", "json").stdout)
    acts = {a["name"]: a for a in data["activations"]}
    assert list(acts) == list(fastact.ACTIVATIONS)
    assert acts["leaky_relu"]["parameters"] == {"negative_slope": 0.01}
    assert acts["hardtanh"]["parameters"] == {"min_val": -1.0, "max_val": 1.0}
    assert acts["gelu"]["parameters"] == {"approximate": "none"}
    assert set(acts["gelu"]["formulas"]) == {"gelu", "gelu_tanh"}
    assert acts["prelu"]["ops"] == ["fn", "grad", "grad2", "grad_weight"]
    assert acts["relu"]["kinks"] == {"relu": "0"}
    assert data["aliases"]["gelu_tanh"] == {"activation": "gelu",
                                            "parameters": {"approximate": "tanh"}}
    p = run("list", "gelu", "sigmoyd", expect=2)
    assert "did you mean 'sigmoid'?" in p.stderr


# ---------------------------------------------------------------------------- table

X = [-3.0, -0.7, 0.0, 1.2, 5.0]


def test_table_json_equals_the_library():
    data = table_json("relu", *X)
    assert list(data) == ["x", "fn", "grad", "grad2"]
    x = np.array(X)
    assert data["x"] == X
    assert data["fn"] == fastact.relu(x).tolist()
    assert data["grad"] == fastact.relu.grad(x).tolist()
    assert data["grad2"] == fastact.relu.grad2(x).tolist()
    assert data["fn"] == [0.0, 0.0, 0.0, 1.2, 5.0]
    assert data["grad"] == [0.0, 0.0, 0.0, 1.0, 1.0]        # left-hand derivative at 0
    assert data == fastact.sample("relu", X)


@pytest.mark.parametrize("name, options, params", [
    ("elu", ["--alpha", "0.1"], {"alpha": 0.1}),
    ("elu", ["--param", "alpha", "0.1"], {"alpha": 0.1}),
    ("celu", ["--alpha=2.5"], {"alpha": 2.5}),
    ("leaky_relu", ["--negative-slope", "0.2"], {"negative_slope": 0.2}),
    ("leaky_relu", ["--negative_slope", "0.2"], {"negative_slope": 0.2}),
    ("hardtanh", ["--min-val", "-2", "--max-val", "0.5"], {"min_val": -2.0, "max_val": 0.5}),
    ("gelu", ["--approximate", "tanh"], {"approximate": "tanh"}),
    ("softplus", ["--beta", "3"], {"beta": 3.0}),
    ("affine", ["--slope", "2", "--intercept", "-1"], {"slope": 2.0, "intercept": -1.0}),
])
def test_table_parameters_as_options(name, options, params):
    data = table_json(name, *X, *options)
    f = fastact.FUNCTIONS[name]
    x = np.array(X)
    assert data["fn"] == f(x, **params).tolist()
    assert data["grad"] == f.grad(x, **params).tolist()
    assert data["grad2"] == f.grad2(x, **params).tolist()
    default = f(x).tolist()
    assert data["fn"] != default, "the parameter made no difference"


def test_table_aliases_and_class_names():
    x = np.array(X)
    assert table_json("gelu_tanh", *X)["fn"] == fastact.gelu(x, approximate="tanh").tolist()
    assert table_json("LeakyReLU", *X)["grad"] == fastact.leaky_relu.grad(x).tolist()
    assert table_json("logsigmoid", *X)["fn"] == fastact.log_sigmoid(x).tolist()


def test_table_csv_and_text():
    p = run("table", "gelu", "--range", "-3", "3", "7", "--format", "csv")
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == ["x", "fn", "grad", "grad2"]
    x = np.linspace(-3, 3, 7)
    got = np.array(rows[1:], dtype=float)
    assert got.shape == (7, 4)
    assert got[:, 0].tolist() == x.tolist()
    assert got[:, 1].tolist() == fastact.gelu(x).tolist()
    assert got[:, 2].tolist() == fastact.gelu.grad(x).tolist()
    assert got[:, 3].tolist() == fastact.gelu.grad2(x).tolist()

    lines = run("table", "sigmoid", 0, 40).stdout.splitlines()
    assert lines[0] == "# sigmoid, float64"
    assert lines[1].split() == ["x", "fn", "grad", "grad2"]
    vals = np.array([line.split() for line in lines[2:]], dtype=float)
    assert vals[0].tolist() == [0.0, 0.5, 0.25, 0.0]
    assert vals[1, 2] == fastact.sigmoid.grad(40.0) > 0        # 4.2e-18, not 0


def test_table_float32_and_ops():
    data = table_json("mish", "0.3", "--dtype", "float32")
    x = np.float32(0.3)
    assert data["x"] == [float(x)]
    assert data["fn"] == [float(fastact.mish(np.array([x]))[0])]
    assert data["fn"] != [float(fastact.mish(0.3))]            # really float32
    data = table_json("prelu", -2, 3, "--weight", "0.5", "--ops", "fn,grad_weight")
    assert data == {"x": [-2.0, 3.0], "fn": [-1.0, 3.0], "grad_weight": [-2.0, 0.0]}


@pytest.mark.parametrize("args, status, message", [
    (["table", "gleu", "1"], 2, "unknown activation 'gleu'; did you mean 'gelu'?"),
    (["table", "sigmod", "1"], 2, "did you mean 'sigmoid'?"),
    (["table", "relu6x", "1"], 2, "did you mean 'relu6'"),
    (["table", "leaky_relu", "1", "--alpha", "0.1"], 2,
     "leaky_relu has no parameter 'alpha' (its parameters: negative_slope)"),
    (["table", "elu", "1", "--param", "alpah", "0.1"], 2, "did you mean --alpha?"),
    (["table", "softplus", "1", "--beta", "-1"], 2, "parameter 'beta' must be > 0"),
    (["table", "softplus", "1", "--beta", "abc"], 2, "--beta 'abc': not a number"),
    (["table", "gelu", "1", "--approximate", "tan"], 2, "'none' or 'tanh'"),
    (["table", "hardtanh", "0", "--min-val", "2"], 2, "min_val"),
    (["table", "relu"], 2, "no points"),
    (["table", "relu", "1", "--ops", "fn,grd"], 2, "no op 'grd'; did you mean 'grad'?"),
    (["table", "relu", "1", "--format", "jsn"], 2, "did you mean 'json'?"),
    (["tabel", "relu", "1"], 2, "did you mean 'table'?"),
])
def test_errors(args, status, message):
    p = run(*args, expect=status)
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert p.stdout == ""


def test_unknown_activation_lists_the_known_ones():
    p = run("table", "swishy", "1", expect=2)
    assert p.stderr.startswith("fastact table: error: unknown activation 'swishy'")
    assert "did you mean 'swish'?" in p.stderr
    assert "known activations: " + ", ".join(fastact.ACTIVATIONS) in p.stderr


# ---------------------------------------------------------------------------- plot

def test_plot_writes_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    p = run("plot", "relu", "gelu", "--out", "act.png", "--dpi", 50, cwd=tmp_path)
    assert p.stdout.startswith("wrote act.png (2 activations")
    png = (tmp_path / "act.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    # Default size: 3.6 x 2.7 inches per panel, one row of two.
    assert int.from_bytes(png[16:20], "big") == 360 and int.from_bytes(png[20:24], "big") == 135
    run("plot", "elu", "celu", "--alpha", "0.5", "--domain", "-4", "2", "--ops", "fn,grad",
        "--out", tmp_path / "elu.svg")
    svg = (tmp_path / "elu.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "elu(alpha=0.5)" in svg and "celu(alpha=0.5)" in svg     # the panel titles
    run("plot", "tanh", cwd=tmp_path)                               # default file name
    assert (tmp_path / "tanh.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("args, message", [
    (["plot", "relu", "grlu"], "unknown activation 'grlu'; did you mean"),
    (["plot", "relu", "tanh", "--alpha", "0.5"], "none of relu, tanh has the parameter 'alpha'"),
    (["plot", "relu", "--out", "act.txt"], "--out 'act.txt': give a file name ending in"),
    (["plot", "relu", "--domain", "2", "1"], "XMIN must be less than XMAX"),
    (["plot", "relu", "--ops", "fn,gard"], "did you mean 'grad'?"),
    (["plot", "relu", "--out", "no/such/dir/a.png"], "no directory"),
])
def test_plot_errors(tmp_path, args, message):
    p = run(*args, expect=2, cwd=tmp_path)
    assert message in p.stderr
    assert list(tmp_path.iterdir()) == []


def test_plot_without_matplotlib(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from fastact._cli import main\n"
            "sys.exit(main(['plot', 'relu', '--out', 'a.png']))")
    p = run_code(code, cwd=tmp_path)
    assert p.returncode == 1
    assert "pip install 'fastact[plot]'" in p.stderr
    assert not (tmp_path / "a.png").exists()


# ---------------------------------------------------------------------------- bench

def test_bench_quick_subset():
    script = _cli.find_bench_script()
    if script is None:
        pytest.skip("benchmarks/bench.py is not here (installed package)")
    p = run("bench", "--only", "relu", "--threads", "1")
    # Progress on stderr (not a terminal: one line per step), ending complete.
    bars = [line for line in p.stderr.splitlines() if line.startswith("bench [")]
    assert bars and "3/3" in bars[-1]
    # The table of ratios on stdout: one row per op, three modes each with a ratio.
    rows = {line.split()[0]: line for line in p.stdout.splitlines()
            if line.startswith("relu.")}
    assert set(rows) == {"relu.fn", "relu.grad", "relu.grad2"}
    for line in rows.values():               # fastact / fastest peer, per mode
        ratios = [t for t in line.split() if re.fullmatch(r"[0-9.]+x†?", t)]
        assert len(ratios) == 3, line
    assert "ratio fastact / that peer" in p.stdout


def test_bench_unknown_case():
    if _cli.find_bench_script() is None:
        pytest.skip("benchmarks/bench.py is not here (installed package)")
    p = run("bench", "--only", "gleu", expect=2)
    assert "unknown benchmark case 'gleu'; did you mean 'gelu'" in p.stderr


def test_bench_without_the_benchmarks_falls_back(tmp_path):
    """An installed package has no benchmarks/: bench says so and runs the speed check."""
    link = tmp_path / "fastact"
    try:
        os.symlink(os.path.dirname(os.path.abspath(fastact.__file__)), link)
    except (OSError, NotImplementedError):
        pytest.skip("no symlinks here")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    p = run("bench", "--n", 20_000, cwd=tmp_path, env=env)
    assert "the benchmark suite (benchmarks/bench.py) is not here" in p.stdout
    assert "speed check: n = 20,000 float32" in p.stdout
    p = run("bench", "--script", tmp_path / "nope.py", cwd=tmp_path, env=env, expect=2)
    assert "no such file" in p.stderr
