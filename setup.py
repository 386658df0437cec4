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

import os
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


def render_templates():
    """fastact/_loops.pyx.tp -> fastact/_loops.pyx, from the kernel spec."""
    spec = runpy.run_path(os.path.join(PKG, "_spec.py"))
    src = os.path.join(PKG, "_loops.pyx.tp")
    dst = src[: -len(".tp")]
    with open(src) as f:
        text = tempita_sub(f.read(), kernels=spec["KERNELS"], ops_of=spec["kernel_ops"])
    text = "# Generated from _loops.pyx.tp by setup.py: edit the template.\n" + text
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


class BuildExt(build_ext):
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
            ext.extra_compile_args = opt + cflags + ext.extra_compile_args
            ext.extra_link_args = lflags + ext.extra_link_args
        super().build_extensions()


extensions = [
    Extension(
        "fastact._loops",
        [render_templates()],
        include_dirs=[PKG],
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        include_path=[HERE],
    ),
    cmdclass={"build_ext": BuildExt},
)
