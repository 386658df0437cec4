"""Build fastact's compiled kernels.

The loops are generated from ``fastact/_loops.pyx.tp`` (Tempita) and the kernel
list in ``fastact/_spec.py``; OpenMP is used when the compiler supports it, and
the build says once, loudly, when it does not (the kernels then run serially).
Never -march=native (wheels must run on any CPU of their platform) and never
-ffast-math (it breaks NaN and infinity semantics).

Environment variables (used by the wheel builds, see ``[tool.cibuildwheel]``):

* ``FASTACT_OPENMP_PREFIX`` (macOS): an llvm-openmp installation
  (``include/omp.h``, ``lib/libomp.dylib``) for Apple clang; the wheels use a
  pinned conda-forge llvm-openmp built for an old macOS, bundled by delocate;
* ``FASTACT_REQUIRE_OPENMP=1``: fail the build instead of building serial
  kernels when OpenMP does not work.
"""

import multiprocessing
import os
import platform
import re
import runpy
import sys
import tempfile
import textwrap

from Cython.Build import cythonize
from Cython.Tempita import sub as tempita_sub
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "fastact")


# The vector loops are compiled once per SIMD level, with the branch-free math
# of _vecmath.h (FASTACT_VECTOR_MATH): float32 in fastact._vloops_<level>, float64
# (some kernels, FMA levels) in fastact._vloops_f64_<level>; the best level the
# CPU supports is loaded at import (fastact/_simd.py).  The wheels themselves target the
# platform's baseline ISA; only these modules use wider instructions.
ISA_FLAGS = {
    "baseline": {"unix": [], "msvc": []},
    "avx2": {"unix": ["-mavx2", "-mfma"], "msvc": ["/arch:AVX2"]},
    "avx512": {
        "unix": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma",
                 "-mprefer-vector-width=512"],
        "msvc": ["/arch:AVX512"],
    },
}


def simd_levels():
    """SIMD levels to build vector modules for on this target."""
    if platform.machine().lower() in ("x86_64", "amd64", "x64"):
        return ["baseline", "avx2", "avx512"]
    return ["baseline"]


VECTOR_FLOAT64 = runpy.run_path(os.path.join(PKG, "_spec.py"))["VECTOR_FLOAT64"]


def render(dst_name, only=None, **namespace):
    """fastact/_loops.pyx.tp -> fastact/<dst_name>.pyx, from the kernel spec (the
    kernels named in ``only``, default all)."""
    spec = runpy.run_path(os.path.join(PKG, "_spec.py"))
    kernels = {k: v for k, v in spec["KERNELS"].items() if only is None or k in only}
    # The ops with a variant for some parameter values (kernels.pxd:
    # _NAME_OP_f32 in the float32 vector modules, _NAME_OP_f64 in the float64
    # ones, valid where _NAME_f32_params / _NAME_f64_params is true); the loops
    # choose between it and NAME_OP once per call.
    vsuffix = {"float": "f32", "double": "f64"}.get(namespace.get("ftype"), "")
    variants = set()
    if vsuffix:
        with open(os.path.join(PKG, "kernels.pxd")) as f:
            variants = set(re.findall(r"^cdef inline double _(\w+)_%s\(" % vsuffix, f.read(), re.M))
    with open(os.path.join(PKG, "_loops.pyx.tp")) as f:
        text = tempita_sub(f.read(), kernels=kernels, ops_of=spec["kernel_ops"],
                           variants=variants, vsuffix=vsuffix, **namespace)
    text = "# Generated from _loops.pyx.tp by setup.py: edit the template.\n" + text
    dst = os.path.join(PKG, dst_name + ".pyx")
    if not os.path.exists(dst) or open(dst).read() != text:
        with open(dst, "w") as f:
            f.write(text)
    return dst


def openmp_flags(compiler):
    """(compile_args, link_args) that enable OpenMP with this compiler, or None."""
    ctype = compiler.compiler_type
    if ctype == "msvc":
        return ["/openmp"], []
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":
        # Apple clang: OpenMP through the preprocessor and an llvm-openmp libomp.
        prefix = os.environ.get("FASTACT_OPENMP_PREFIX")
        if prefix:
            # Only this libomp (the rpath lets delocate find and bundle it): not
            # whatever else the compiler would find, e.g. Homebrew's.
            inc, lib = os.path.join(prefix, "include"), os.path.join(prefix, "lib")
            candidates = [(
                ["-Xpreprocessor", "-fopenmp", "-I" + inc],
                ["-L" + lib, "-lomp", "-Wl,-rpath," + lib],
            )]
        else:
            candidates.insert(0, (["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    test = textwrap.dedent(
        """
        #include <omp.h>
        int main(void) {
            int n = 0;
            #pragma omp parallel reduction(+:n)
            n += 1;
            return n > 0 ? 0 : 1;
        }
        """
    )
    for cflags, lflags in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "omp_test.c")
            with open(src, "w") as f:
                f.write(test)
            try:
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(
                    objs, "omp_test", output_dir=tmp, extra_postargs=lflags
                )
            except Exception:
                continue
        return cflags, lflags
    return None


# The cores this process may run on (not the host's count in a CPU-limited container).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            # The modules are independent and each takes minutes (the vector
            # modules inline every kernel into every loop): one compiler per core.
            self.parallel = CORES

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        flags = openmp_flags(self.compiler)
        if flags is None and os.environ.get("FASTACT_REQUIRE_OPENMP", "0") not in ("", "0"):
            raise RuntimeError(
                "fastact: FASTACT_REQUIRE_OPENMP is set but this compiler has no working "
                "OpenMP (on macOS set FASTACT_OPENMP_PREFIX to an llvm-openmp install)"
            )
        if flags is None:
            print(
                "*** fastact: this compiler has no OpenMP; building SERIAL kernels "
                "(fastact.show_config() will say so). ***",
                file=sys.stderr,
            )
            cflags, lflags = [], []
        else:
            cflags, lflags = flags
        opt = ["/O2"] if ctype == "msvc" else ["-O3"]
        for ext in self.extensions:
            # The SIMD level is in the module's name (cythonize() copies the
            # Extension objects, so an attribute would not survive).
            isa = ext.name.rsplit("_", 1)[1] if ext.name.startswith("fastact._vloops_") else None
            vec = []
            if ctype != "msvc":
                # -fno-trapping-math lets GCC if-convert the kernels' selects
                # (unlike -ffast-math it keeps NaN and infinity semantics and every
                # result); the no-inline flags keep each small loop function out of
                # the large Python wrapper that calls it, where the vectorizer
                # gives up.
                vec = ["-fno-trapping-math", "-fno-inline-functions-called-once",
                       "-fno-inline-small-functions"]
            if isa is not None:
                vec = ISA_FLAGS[isa]["msvc" if ctype == "msvc" else "unix"] + vec
                if ctype != "msvc":
                    # Every kernel inlined into its loops: at GCC's default
                    # limits for inlining an inline function (its size, the
                    # growth and stack frame of the function it goes into) some
                    # loops kept a call (fa_vexpf_parts_, silu_grad) and ran
                    # scalar (the element loops the parallel regions held then:
                    # 2 threads 10-30x slower than 1; they now run the serial
                    # loops).  tests/test_simd.py checks every loop.
                    vec = vec + ["--param=max-inline-insns-single=2000",
                                 "--param=large-function-growth=1000",
                                 "--param=inline-unit-growth=1000",
                                 "--param=large-stack-frame=65536",
                                 "--param=large-function-insns=100000"]
                if ctype != "msvc" and "_f64_" in ext.name:
                    # (The double-double kernels, gelu-tanh'' and mish, were the
                    # first to exceed those limits: 8-10x slower not inlined.)
                    # Contraction into FMA off: which a * b + c become one
                    # instruction then depends on the inlining context, and the
                    # fused loops (fn_and_grad) must give the separate ops' bits.
                    # The polynomials use explicit fma (FA_FMA, fa_fma).
                    vec = vec + ["-ffp-contract=off"]
            elif ctype != "msvc":
                # The accurate module's double-double corrections need a * b + c
                # rounded as written: no contraction into fma (GCC's default where
                # the ISA has FMA, e.g. aarch64).
                vec = vec + ["-ffp-contract=off"]
            ext.extra_compile_args = opt + cflags + vec + ext.extra_compile_args
            ext.extra_link_args = lflags + ext.extra_link_args
        super().build_extensions()


extensions = [
    Extension(
        "fastact._loops",
        [render("_loops", ftype="floating", module_doc=(
            "Accurate elementwise loops, float32 and float64 (C library math, x87 "
            "extended precision where sums cancel), generated from _loops.pyx.tp."))],
        include_dirs=[PKG, HERE],
    )
]
# The compiled call path (validation and dispatch of plain ndarrays in C) uses
# NumPy's C API; built against NumPy 2 headers, it runs on NumPy >= 1.21.
import numpy  # noqa: E402  (a build requirement, see pyproject.toml)

extensions.append(
    Extension(
        "fastact._call",
        [os.path.join(PKG, "_call.pyx")],
        include_dirs=[numpy.get_include(), PKG],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("NPY_TARGET_VERSION", "NPY_1_21_API_VERSION")],
    )
)
# A header the .pyx files do not name: a change to it must rebuild the modules.
VECMATH_H = os.path.join(PKG, "_vecmath.h")
for _isa in simd_levels():
    # float32: every kernel, with the float32 tier of _vecmath.h (shorter series).
    extensions.append(Extension(
        f"fastact._vloops_{_isa}",
        [render(f"_vloops_{_isa}", ftype="float", module_doc=(
            f"Vectorized float32 loops ({_isa}), generated from _loops.pyx.tp: the same "
            "kernels over the branch-free math of _vecmath.h at float32 accuracy."))],
        include_dirs=[PKG, HERE],
        depends=[VECMATH_H],
        define_macros=[("FASTACT_VECTOR_MATH", "1"), ("FASTACT_FLOAT32_MATH", "1")],
    ))
    # float64: the kernels of _spec.VECTOR_FLOAT64, at the levels with FMA (the
    # double-double corrections need it), with the full-accuracy vector math.
    if _isa != "baseline":
        extensions.append(Extension(
            f"fastact._vloops_f64_{_isa}",
            [render(f"_vloops_f64_{_isa}", only=VECTOR_FLOAT64, ftype="double",
                    module_doc=(
                f"Vectorized float64 loops ({_isa}), generated from _loops.pyx.tp: the "
                "kernels of _spec.VECTOR_FLOAT64 over the branch-free math of _vecmath.h."))],
            include_dirs=[PKG, HERE],
            depends=[VECMATH_H],
            define_macros=[("FASTACT_VECTOR_MATH", "1")],
        ))

# Cython's translation in parallel processes only where they fork: a spawned or
# forkserver child would run this (unguarded) setup.py again.
_start = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
CYTHON_PROCESSES = CORES if _start == "fork" else 0

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        include_path=[HERE],
        nthreads=CYTHON_PROCESSES,
    ),
    cmdclass={"build_ext": BuildExt},
)
