#!/bin/sh
# cibuildwheel's before-all (see [tool.cibuildwheel] in pyproject.toml), run once
# per platform (per container on Linux) from the project directory:
#
#   sh tools/wheels/cibw_before_all.sh linux|macos|windows
#
# * appends the licence of the OpenMP runtime that the repair step bundles into
#   the wheel (libgomp / llvm-openmp's libomp / vcomp140.dll) to LICENSE, the
#   file the wheel's metadata carries (idempotent: a second run replaces it);
# * macOS: installs a pinned conda-forge llvm-openmp into FASTACT_OPENMP_PREFIX.
#   conda-forge builds it for an old macOS (10.13 on x86_64, 11.0 on arm64), so
#   delocate can bundle it into wheels for those targets; Homebrew's libomp is
#   built for the runner's own macOS and would not do.
set -eu

platform=${1:?usage: cibw_before_all.sh linux|macos|windows}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# ---------------------------------------------------------------- licence
text="$here/LICENSE_$platform.txt"
[ -f "$text" ] || { echo "no licence text $text" >&2; exit 1; }
marker="----- Bundled OpenMP runtime -----"
license="$root/LICENSE"
# Keep what precedes a previous run's marker (less trailing blank lines), then
# append this platform's text.
awk -v m="$marker" '$0 == m { exit } /^$/ { blank++; next }
    { while (blank > 0) { print ""; blank-- } print }' "$license" > "$license.tmp"
{
    cat "$license.tmp"
    echo
    echo "$marker"
    echo
    cat "$text"
} > "$license"
rm -f "$license.tmp"
echo "LICENSE: appended $(basename "$text")"

# ---------------------------------------------------------------- macOS libomp
if [ "$platform" = macos ]; then
    LLVM_OPENMP_VERSION=18.1.8        # LLVM >= 12; bump deliberately
    prefix=${FASTACT_OPENMP_PREFIX:-/tmp/fastact-llvm-openmp}
    case "$(uname -m)" in
        arm64) subdir=osx-arm64 ;;
        x86_64) subdir=osx-64 ;;
        *) echo "unsupported macOS machine $(uname -m)" >&2; exit 1 ;;
    esac
    tools=$(mktemp -d)
    curl -fsSL "https://micro.mamba.pm/api/micromamba/$subdir/latest" | tar -xj -C "$tools" bin/micromamba
    MAMBA_ROOT_PREFIX="$tools/root" "$tools/bin/micromamba" create --yes --quiet \
        --prefix "$prefix" --platform "$subdir" \
        --channel conda-forge --override-channels "llvm-openmp==$LLVM_OPENMP_VERSION"
    test -f "$prefix/include/omp.h"
    test -f "$prefix/lib/libomp.dylib"
    echo "llvm-openmp $LLVM_OPENMP_VERSION ($subdir) in $prefix:"
    otool -l "$prefix/lib/libomp.dylib" | grep -A4 -E 'LC_BUILD_VERSION|LC_VERSION_MIN_MACOSX' || true
fi
