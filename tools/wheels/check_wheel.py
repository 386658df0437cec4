"""Check a repaired fastact wheel: the OpenMP runtime and its licence are inside.

    python tools/wheels/check_wheel.py WHEEL_OR_DIR RUNTIME

RUNTIME is the file name prefix of the bundled OpenMP runtime (libgomp, libomp,
vcomp140).  Also checked: the compiled extension, the cimport API (.pxd), the
typing files (py.typed, .pyi), and LICENSE with the runtime's licence text.
Run by the repair step of [tool.cibuildwheel] and by tools/build_wheels.sh.
"""

import pathlib
import sys
import zipfile

MARKER = "----- Bundled OpenMP runtime -----"
REQUIRED = [
    "fastact/__init__.py", "fastact/kernels.pxd", "fastact/_math.pxd", "fastact/py.typed",
    "fastact/__init__.pyi", "fastact/functional.pyi", "fastact/activations.pyi",
]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    path, runtime = pathlib.Path(argv[1]), argv[2]
    wheels = sorted(path.glob("*.whl")) if path.is_dir() else [path]
    if len(wheels) != 1:
        sys.exit(f"expected one wheel in {path}, found {[w.name for w in wheels]}")
    wheel = wheels[0]
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        problems = [f"missing {n}" for n in REQUIRED if n not in names]
        if not any(n.startswith("fastact/_loops.") and not n.endswith((".pyx", ".c", ".tp"))
                   for n in names):
            problems.append("missing the compiled extension fastact/_loops.*")
        libs = [n for n in names if pathlib.PurePosixPath(n).name.lower().startswith(runtime)]
        if not libs:
            problems.append(f"the OpenMP runtime {runtime}* is not bundled")
        licenses = [n for n in names if ".dist-info/licenses/" in n and n.endswith("LICENSE")]
        text = z.read(licenses[0]).decode("utf-8", "replace") if licenses else ""
        if "BSD 3-Clause" not in text:
            problems.append("no LICENSE (BSD-3-Clause) in .dist-info/licenses/")
        elif MARKER not in text:
            problems.append("LICENSE lacks the bundled OpenMP runtime's licence text")
        elif runtime not in text.split(MARKER, 1)[1]:
            problems.append(f"LICENSE's bundled-runtime text does not name {runtime}")
    print(f"{wheel.name}: bundled {', '.join(libs) or 'nothing'}; "
          f"{len([n for n in names if n.endswith('.pxd')])} .pxd, "
          f"{len([n for n in names if n.endswith('.pyi')])} .pyi")
    if problems:
        sys.exit(f"{wheel.name}: " + "; ".join(problems))


if __name__ == "__main__":
    main(sys.argv)
