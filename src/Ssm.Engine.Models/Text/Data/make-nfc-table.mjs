// Writes nfc.bin, the canonical-composition data that Nfc.cs embeds, from the ICU inside Node.js.
// Run: node make-nfc-table.mjs [output]   (default nfc.bin next to this script)
// Format (little-endian): "NFC1", Unicode version (8 bytes, NUL padded),
// i32 nCcc, nCcc x (i32 codePoint, u8 combiningClass),
// i32 nDecomp, nDecomp x (i32 codePoint, u8 composable, u8 n, n x i32 codePoint).
// composable = 1: a primary composite, stored as its canonical pair (first, second).
// composable = 0: stored as its full canonical decomposition. Hangul syllables are algorithmic and left out.
// JavaScript exposes NFD/NFC but not combining classes, so each mark's class is found by canonical reordering
// against one reference mark per class: X and R swap in NFD iff their classes are out of order, and neither order
// swaps iff the classes are equal.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const out = process.argv[2] ?? fileURLToPath(new URL("nfc.bin", import.meta.url));
const version = process.versions.unicode;
const str = (cps) => String.fromCodePoint(...cps);
const cpsOf = (s) => [...s].map((c) => c.codePointAt(0));
const isMark = (cp) => /\p{M}/u.test(String.fromCodePoint(cp));
const valid = (cp) => cp < 0xd800 || cp > 0xdfff;

// One reference mark per combining class value (the lowest code point of each class in ICU 72 / Unicode 15.0).
const refs = [
  [0x0334, 1], [0x16FF0, 6], [0x093C, 7], [0x3099, 8], [0x094D, 9], [0x05B0, 10], [0x05B1, 11], [0x05B2, 12],
  [0x05B3, 13], [0x05B4, 14], [0x05B5, 15], [0x05B6, 16], [0x05B7, 17], [0x05B8, 18], [0x05B9, 19], [0x05BB, 20],
  [0x05BC, 21], [0x05BD, 22], [0x05BF, 23], [0x05C1, 24], [0x05C2, 25], [0xFB1E, 26], [0x064B, 27], [0x064C, 28],
  [0x064D, 29], [0x0618, 30], [0x0619, 31], [0x061A, 32], [0x0651, 33], [0x0652, 34], [0x0670, 35], [0x0711, 36],
  [0x0C55, 84], [0x0C56, 91], [0x0E38, 103], [0x0E48, 107], [0x0EB8, 118], [0x0EC8, 122], [0x0F71, 129],
  [0x0F72, 130], [0x0F74, 132], [0x0321, 202], [0x1DCE, 214], [0x031B, 216], [0x1DFA, 218], [0x0316, 220],
  [0x059A, 222], [0x302E, 224], [0x1D16D, 226], [0x05AE, 228], [0x0300, 230], [0x0315, 232], [0x035C, 233],
  [0x035D, 234], [0x0345, 240],
];
// In NFD of "a X Y", X and Y swap iff both are non-starters and class(X) > class(Y).
const swaps = (x, y) => cpsOf(str([0x61, x, y]).normalize("NFD"))[1] !== x;

const ccc = [];
for (let cp = 0; cp < 0x110000; cp++) {
  if (!valid(cp) || !isMark(cp)) continue;
  const d = cpsOf(str([cp]).normalize("NFD"));
  if (d.length !== 1 || d[0] !== cp) continue; // decomposes: reordering sees its parts, not itself
  let anySwap = false, cls = 0, lo = 0, hi = 256;
  for (const [r, c] of refs) {
    const xr = swaps(cp, r), rx = swaps(r, cp);
    if (xr) lo = Math.max(lo, c);
    if (rx) hi = Math.min(hi, c);
    anySwap ||= xr || rx;
    if (!xr && !rx) cls = c;
  }
  if (!anySwap) continue; // a starter (class 0)
  if (cls === 0 || cls <= lo || cls >= hi) {
    throw new Error(`U+${cp.toString(16)}: class between ${lo} and ${hi} has no reference mark`);
  }
  ccc.push([cp, cls]);
}

const decomp = [];
for (let cp = 0; cp < 0x110000; cp++) {
  if (!valid(cp) || (cp >= 0xac00 && cp <= 0xd7a3)) continue;
  const s = str([cp]);
  const d = cpsOf(s.normalize("NFD"));
  if (d.length === 1 && d[0] === cp) continue;
  if (s.normalize("NFC") === s) {
    const first = cpsOf(str(d.slice(0, -1)).normalize("NFC"));
    if (first.length !== 1) throw new Error(`U+${cp.toString(16)}: no single first part`);
    decomp.push([cp, 1, [first[0], d[d.length - 1]]]);
  } else {
    decomp.push([cp, 0, d]);
  }
}

const bytes = [];
const i32 = (v) => bytes.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
bytes.push(...Buffer.from("NFC1"));
bytes.push(...Buffer.from(version.padEnd(8, "\0").slice(0, 8)));
i32(ccc.length);
for (const [cp, c] of ccc) { i32(cp); bytes.push(c); }
i32(decomp.length);
for (const [cp, comp, parts] of decomp) {
  i32(cp); bytes.push(comp, parts.length);
  for (const p of parts) i32(p);
}
writeFileSync(out, Buffer.from(bytes));
console.log(`Unicode ${version}: ${ccc.length} combining classes, ${decomp.length} decompositions -> ${out}`);
