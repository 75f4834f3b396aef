#!/usr/bin/env python3
"""Writes nfc.bin, the canonical-composition data that Nfc.cs reads (embedded resource).

Format (little-endian): b"NFC1", u8[8] Unicode version string (NUL padded),
i32 nCcc, nCcc x (i32 codePoint, u8 combiningClass),
i32 nDecomp, nDecomp x (i32 codePoint, u8 composable, u8 n, n x i32 codePoint).
Decompositions are the raw one-level canonical mappings (Hangul syllables are algorithmic and left out);
composable = 1 for primary composites (a pair that is not a full composition exclusion).
Usage: python3 make_nfc_table.py  (uses the running Python's unicodedata tables).
"""
import struct
import sys
import unicodedata as ud

out = bytearray(b"NFC1")
out += ud.unidata_version.encode().ljust(8, b"\0")[:8]
ccc = [(cp, ud.combining(chr(cp))) for cp in range(0x110000)
       if not 0xD800 <= cp <= 0xDFFF and ud.combining(chr(cp))]
out += struct.pack("<i", len(ccc))
for cp, c in ccc:
    out += struct.pack("<iB", cp, c)
dec = []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    d = ud.decomposition(chr(cp))
    if not d or d.startswith("<"):
        continue
    parts = [int(p, 16) for p in d.split()]
    composable = len(parts) == 2 and ud.normalize("NFC", chr(cp)) == chr(cp)
    dec.append((cp, composable, parts))
out += struct.pack("<i", len(dec))
for cp, composable, parts in dec:
    out += struct.pack("<iBB", cp, 1 if composable else 0, len(parts))
    for p in parts:
        out += struct.pack("<i", p)
with open(sys.argv[1] if len(sys.argv) > 1 else "nfc.bin", "wb") as f:
    f.write(out)
print(ud.unidata_version, len(ccc), len(dec), len(out))
