"""Rebuilds YearbookSansSC-Regular.otf from Noto Sans CJK (face 2 of the .ttc is SC)."""
import subprocess
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

here = Path(__file__).resolve().parent
src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

chars = set()
for hi in range(0xA1, 0xF8):  # every GB2312 double-byte code: symbols and hanzi
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update(chr(c) for c in range(0x20, 0x7F))
chars.update(chr(c) for c in range(0xFF00, 0xFFF0))
chars.update(chr(c) for c in range(0x3000, 0x3040))
chars.update("—–…‰‘’“”·•×÷±≤≥℃€¥")

text = here / "subset-chars.tmp"
text.write_text("".join(sorted(chars)), encoding="utf-8")
tmp = here / "subset.tmp.otf"
subprocess.run(
    ["pyftsubset", src, "--font-number=2", f"--text-file={text}", f"--output-file={tmp}",
     "--name-IDs=*", "--layout-features=", "--drop-tables+=GSUB,GPOS,GDEF,BASE,vhea,vmtx,VORG"],
    check=True,
)
font = TTFont(tmp)
for rec in font["name"].names:
    if rec.nameID in (1, 4, 16):
        rec.string = "Yearbook Sans SC"
    elif rec.nameID == 3:
        rec.string = "YearbookSansSC-Regular;subset of Noto Sans CJK SC"
    elif rec.nameID == 6:
        rec.string = "YearbookSansSC-Regular"
font.save(here / "YearbookSansSC-Regular.otf")
text.unlink()
tmp.unlink()
