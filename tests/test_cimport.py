"""The cimport API: a downstream Cython extension built against the installed fastact.

tests/downstream/ is a complete downstream project (the README's example):
pyproject.toml, setup.py and a .pyx that cimports ``gelu_fn``, ``sigmoid_grad``
and ``softplus_fn`` from ``fastact.kernels`` and calls them from its own
``prange`` loops over float32 and float64 memoryviews.  It is copied to a
temporary directory and built there, by this interpreter's pip without build
isolation, so the .pxd files come from the installed fastact (through
``fastact.get_include()``), never from the source tree.  The same inline code
then runs in both extensions, so the results must equal fastact's to the bit.
"""

import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import numpy as np
import pytest

import fastact

DOWNSTREAM = pathlib.Path(__file__).parent / "downstream"
FILES = ("pyproject.toml", "setup.py", "fastact_example.pyx")


def _no_compiler_reason():
    """Why no C compiler can be used, or None (on Windows the build itself tells)."""
    if sys.platform == "win32":
        return None
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    exe = shlex.split(cc)[0]
    if shutil.which(exe) is None:
        return f"no C compiler: {exe!r} (CC / sysconfig's CC) is not on PATH"
    return None


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The downstream extension module, built and imported."""
    reason = _no_compiler_reason()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("Cython", reason="Cython is in the test extra: pip install '.[test]'")
    include = pathlib.Path(fastact.get_include())
    assert (include / "fastact" / "kernels.pxd").is_file(), (
        f"fastact.get_include() = {include} has no fastact/kernels.pxd: the .pxd files "
        "are not installed"
    )
    tmp = tmp_path_factory.mktemp("downstream")
    src = tmp / "src"
    src.mkdir()
    for name in FILES:
        shutil.copy(DOWNSTREAM / name, src / name)
    wheelhouse = tmp / "wheelhouse"
    cmd = [
        sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
        "--no-index", "--disable-pip-version-check", "-w", str(wheelhouse), str(src),
    ]
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        if "Microsoft Visual C++" in log and "is required" in log:
            pytest.skip("no C compiler: Microsoft Visual C++ is not installed")
        pytest.fail(f"building the downstream extension failed:\n$ {' '.join(cmd)}\n{log[-6000:]}")
    (wheel,) = wheelhouse.glob("fastact_example-*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    sys.path.insert(0, str(site))
    try:
        import fastact_example
    finally:
        sys.path.remove(str(site))
    assert pathlib.Path(fastact_example.__file__).parent == site
    return fastact_example


def _inputs(dtype):
    """Every region of the kernels: tails, overflow, subnormals, signed zeros, inf, NaN."""
    info = np.finfo(dtype)
    rng = np.random.default_rng(4)
    special = [
        0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -37.5, -38.0, -40.5, 40.5, 700.0, -700.0,
        -745.0, 710.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300,
        float(info.tiny), -float(info.tiny), float(info.max), -float(info.max),
        float(np.nextafter(dtype(0), dtype(1))), np.inf, -np.inf, np.nan,
    ]
    with np.errstate(over="ignore", under="ignore"):
        parts = [
            np.array(special, dtype=np.float64).astype(dtype),
            np.linspace(-60, 60, 24001, dtype=dtype),
            (rng.standard_normal(40000) * 20).astype(dtype),
            (rng.standard_normal(1000) * 1e-3).astype(dtype),
        ]
    return np.concatenate(parts)


def _assert_bits_equal(ours, ref, what):
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    bits = np.uint64 if ours.dtype == np.float64 else np.uint32
    diff = np.flatnonzero(ours.view(bits) != ref.view(bits))
    if diff.size:
        i = diff[0]
        pytest.fail(
            f"{what}: {diff.size} of {ours.size} results differ from fastact's, "
            f"first at element {i}: {ours[i]!r} != {ref[i]!r}"
        )


def _scalar(name, x, p0=0.0):
    """fastact's scalar loop NAME over x: the same inline kernels, compiled without
    the vector math.  (fastact's own float32 API calls run the vectorized loops,
    within 1 ULP of these; see tests/test_simd.py.)"""
    loop = getattr(fastact._loops, name)["double" if x.dtype == np.float64 else "float"]
    out = np.empty_like(x)
    loop(x, out, p0, 0.0, 1)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gelu_fn(example, dtype):
    x = _inputs(dtype)
    out = np.empty_like(x)
    example.gelu(x, out)
    _assert_bits_equal(out, _scalar("gelu_fn", x), f"gelu_fn ({np.dtype(dtype).name})")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_grad(example, dtype):
    x = _inputs(dtype)
    out = np.empty_like(x)
    example.dsigmoid(x, out)
    _assert_bits_equal(out, _scalar("sigmoid_grad", x), f"sigmoid_grad ({np.dtype(dtype).name})")


@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_fn(example, dtype, beta):
    x = _inputs(dtype)
    out = np.empty_like(x)
    example.softplus(x, out, beta)
    _assert_bits_equal(
        out, _scalar("softplus_fn", x, beta), f"softplus_fn(beta={beta}) ({np.dtype(dtype).name})"
    )


def test_in_place_and_no_runtime_dependency(example):
    """out may be x; the extension inlines the kernels and never imports fastact.
    (The reference is fastact's scalar loop: its float64 API call runs the
    vector loops' double-double gelu, within 1 ULP of the x87 one.)"""
    x = np.linspace(-5, 5, 1001)
    ref = _scalar("gelu_fn", x)
    example.gelu(x, x)
    _assert_bits_equal(x, ref, "gelu_fn in place")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import fastact_example, array; "
        "a = array.array('d', [1.0]); fastact_example.gelu(a, a); "
        "assert 'fastact' not in sys.modules, sorted(sys.modules); print(a[0])"
    )
    site = str(pathlib.Path(example.__file__).parent)
    proc = subprocess.run([sys.executable, "-c", code, site], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == float(_scalar("gelu_fn", np.array([1.0]))[0])
