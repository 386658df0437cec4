import sys

import fastact
from Cython.Build import cythonize
from setuptools import Extension, setup

# prange needs OpenMP: GCC and clang on Linux, MSVC.  Apple clang has none of
# its own; without the flags the loop runs serially (and stays correct).
openmp = {"win32": ["/openmp"], "darwin": []}.get(sys.platform, ["-fopenmp"])
ext = Extension(
    "fastact_example",
    ["fastact_example.pyx"],
    extra_compile_args=openmp,
    extra_link_args=[] if sys.platform == "win32" else openmp,
)
setup(ext_modules=cythonize([ext], include_path=[fastact.get_include()]))
