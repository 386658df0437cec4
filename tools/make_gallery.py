#!/usr/bin/env python
"""Regenerate the README's gallery: every activation with its two derivatives.

    python tools/make_gallery.py            # writes tools/gallery/gallery.png

It runs the command line, as a user would (`fastact plot` with no activation
names plots every one), so the gallery is what `fastact plot` draws.  Needs
matplotlib (pip install -e ".[plot]").  Commit the new image when the
activations or the plot's look change.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(HERE, "gallery", "gallery.png")

# (-7, 7) shows every kink, relu6's at 6 included.
COMMAND = ["plot", "--domain", "-7", "7", "--ncols", "5", "--dpi", "80",
           "--title", "fastact: every activation (default parameters) and its derivatives"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="image path (default %(default)s)")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    env = dict(os.environ)
    # The fastact of this checkout (built in place), not another installed one.
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    cmd = [sys.executable, "-m", "fastact", *COMMAND, "--out", args.out]
    print("$ fastact " + " ".join(f"'{a}'" if " " in a else a for a in cmd[3:]))
    return subprocess.call(cmd, env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
