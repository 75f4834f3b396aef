#!/usr/bin/env bash
# Times our kernels and the plain C peer (../shared/peers/scan.c) in the same run, interleaved, so
# their ratio is meaningful on a noisy machine. Usage: bench/peers/compare.sh [rounds] [threads]
# Prints one line per round and kernel, then the medians, the ratios to the peer and backward / forward.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
threads=${2:-2}
peers=../shared/peers
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v gcc >/dev/null || { echo "gcc is required for the C peer" >&2; exit 2; }
gcc -O3 -march=native -ffast-math -fopenmp "$peers/scan.c" -o "$work/scan" -lm
dotnet build src/Ssm.Engine.Cli -c Release -v q -nologo >/dev/null
ssm() { dotnet src/Ssm.Engine.Cli/bin/Release/net10.0/ssm.dll "$@"; }

for r in $(seq 1 "$rounds"); do
  OMP_NUM_THREADS=$threads "$work/scan" 7 | sed "s/^/round $r peer: /"
  for k in scan ssd-recurrent conv scan-bwd ssd-bwd conv-bwd; do
    ssm bench "$k" --threads "$threads" --repeat 7 --json "$work/$k.$r.json" >/dev/null
    python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(f\"round $r ours: {d['kernel']} median {d['median_ms']:.3f} ms\")" "$work/$k.$r.json"
  done
done | tee "$work/log.txt"

python3 - "$work/log.txt" <<'PY'
import re, statistics, sys
peer = {"scan": [], "ssd-recurrent": [], "conv": []}
ours = {k: [] for k in ["scan", "ssd-recurrent", "conv", "scan-bwd", "ssd-bwd", "conv-bwd"]}
for line in open(sys.argv[1]):
    m = re.search(r"peer: C (m1 scan|m2 recurrent|conv1d).*median ([0-9.]+) ms", line)
    if m:
        peer[{"m1 scan": "scan", "m2 recurrent": "ssd-recurrent", "conv1d": "conv"}[m.group(1)]].append(float(m.group(2)))
    m = re.search(r"ours: (\S+) median ([0-9.]+) ms", line)
    if m and m.group(1) in ours:
        ours[m.group(1)].append(float(m.group(2)))
print("| kernel | ours median ms | C peer median ms | ours / peer |")
print("|---|---|---|---|")
for k in ours:
    if ours[k] and peer.get(k):
        o, p = statistics.median(ours[k]), statistics.median(peer[k])
        print(f"| {k} | {o:.3f} | {p:.3f} | {o/p:.2f} |")
print()
print("| backward | ours median ms | forward median ms | backward / forward |")
print("|---|---|---|---|")
for f, b in [("scan", "scan-bwd"), ("ssd-recurrent", "ssd-bwd"), ("conv", "conv-bwd")]:
    if ours[f] and ours[b]:
        fm, bm = statistics.median(ours[f]), statistics.median(ours[b])
        print(f"| {b} | {bm:.3f} | {fm:.3f} | {bm/fm:.2f} |")
PY
