#!/usr/bin/env bash
# Writes the King James Bible as plain text and splits it into training and validation files.
#
#   scripts/fetch-kjv.sh [OUT_DIR]        (default data/kjv, which is gitignored)
#
# Source: Debian's bible-kjv package (`bible "Gen1:1-Rev22:21"`), installed with apt-get when missing.
# Format written: one chapter after another, each as a heading line ("Genesis 1") followed by one line per
# verse; the verse numbers are stripped and the package's line wrapping is undone (a verse is one line);
# chapters are separated by a blank line. Split: every 20th chapter of the whole Bible (chapters 20, 40, ...,
# counted from Genesis 1; 59 of 1189, about 5 %) goes to kjv-val.txt, the rest to kjv-train.txt, both in
# canonical order, so the split is deterministic and covers every part of the book.
set -euo pipefail

out="${1:-data/kjv}"
if ! command -v bible >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo apt-get install -y bible-kjv
fi
mkdir -p "$out"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
bible "Gen1:1-Rev22:21" > "$raw"

awk -v all="$out/kjv.txt" -v train="$out/kjv-train.txt" -v val="$out/kjv-val.txt" '
function flush() {
    if (verse != "") { print verse > dest; print verse > all; verse = "" }
}
function emit(line) { print line > dest; print line > all }
BEGIN { chapter = 0; blank = 1; verse = ""; dest = train }
/^[[:space:]]*$/ { flush(); blank = 1; next }
blank && /^[1-3]? ?[A-Z][A-Za-z ]* [0-9]+$/ {
    flush()
    chapter++
    dest = (chapter % 20 == 0) ? val : train
    if (seen[all]) print "" > all
    if (seen[dest]) print "" > dest
    seen[all] = 1; seen[dest] = 1
    emit($0); blank = 0; next
}
/^[[:space:]]+[0-9]+ / { flush(); sub(/^[[:space:]]+[0-9]+ /, ""); verse = $0; blank = 0; next }
{ sub(/^[[:space:]]+/, ""); verse = verse " " $0; blank = 0 }
END { flush() }
' "$raw"

chapters=$(grep -c . <(grep -E '^[1-3]? ?[A-Z][A-Za-z ]* [0-9]+$' "$out/kjv.txt"))
echo "wrote $out/kjv.txt ($(wc -c < "$out/kjv.txt") bytes, $chapters chapters)"
echo "      $out/kjv-train.txt ($(wc -c < "$out/kjv-train.txt") bytes)"
echo "      $out/kjv-val.txt ($(wc -c < "$out/kjv-val.txt") bytes, every 20th chapter)"
