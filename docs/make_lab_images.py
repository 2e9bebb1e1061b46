"""Regenerate the gallery's figures (docs/images/lab/<experiment>/<figure>.png) from full lab runs.

    python docs/make_lab_images.py            # about 5 minutes on a 2-core machine

The PNGs are stored with a 256-colour palette (Pillow), a quarter of matplotlib's file size,
so that the repository stays small; the figures themselves are exactly what `scratchnn lab`
draws. docs/lab.md shows them with a few words each.
"""
import os
import sys
import tempfile

from PIL import Image

from scratchnn import lab

HERE = os.path.dirname(os.path.abspath(__file__))


def main(names=None):
    out = os.path.join(HERE, "images", "lab")
    for name in names or lab.names():
        with tempfile.TemporaryDirectory() as tmp:
            result = lab.run(name, out=tmp, verbose=False)
            os.makedirs(os.path.join(out, name), exist_ok=True)
            for stem in result.figures:
                with Image.open(os.path.join(tmp, f"{stem}.png")) as img:
                    small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                    small.save(os.path.join(out, name, f"{stem}.png"), optimize=True)
        print(f"{name}: {len(result.figures)} figures ({result.seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
