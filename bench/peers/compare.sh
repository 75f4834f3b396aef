#!/usr/bin/env bash
# Times our kernels and the plain C peer (../shared/peers/scan.c) in the same run, interleaved, so
# their ratio is meaningful on a noisy machine. Usage: bench/peers/compare.sh [rounds] [threads]
# Prints one line per round and kernel, then the medians, the ratios to the peer and backward / forward, and the
# median and quartiles of the same ratios taken within each round.
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
# Per round: our time and the peer's (or our forward's) from the same round, so drift between rounds cancels in
# the per-round ratios; the tables give the medians of the times, their ratio, and the median and quartiles of the
# per-round ratios.
names = {"m1 scan": "scan", "m2 recurrent": "ssd-recurrent", "conv1d": "conv"}
rounds = {}
for line in open(sys.argv[1]):
    m = re.search(r"round (\d+) peer: C (m1 scan|m2 recurrent|conv1d) .*median ([0-9.]+) ms", line)
    if m:
        rounds.setdefault(int(m.group(1)), {})[("peer", names[m.group(2)])] = float(m.group(3))
    m = re.search(r"round (\d+) ours: (\S+) median ([0-9.]+) ms", line)
    if m:
        rounds.setdefault(int(m.group(1)), {})[("ours", m.group(2))] = float(m.group(3))

def table(pairs, title):
    print(title)
    print("|---|---|---|---|---|---|")
    for a, b in pairs:
        rs = [r for r in rounds.values() if a in r and b in r]
        if not rs:
            continue
        x, y = [r[a] for r in rs], [r[b] for r in rs]
        ratios = [u / v for u, v in zip(x, y)]
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        mx, my = statistics.median(x), statistics.median(y)
        print(f"| {a[1]} | {mx:.3f} | {my:.3f} | {mx / my:.2f} | {statistics.median(ratios):.2f} | {q[0]:.2f}-{q[2]:.2f} |")
    print()

table([(("ours", k), ("peer", k)) for k in ["scan", "ssd-recurrent", "conv"]],
      "| kernel | ours median ms | C peer median ms | ours / peer | per-round ratio, median | quartiles |")
table([(("ours", b), ("ours", f)) for f, b in [("scan", "scan-bwd"), ("ssd-recurrent", "ssd-bwd"), ("conv", "conv-bwd")]],
      "| backward | ours median ms | forward median ms | backward / forward | per-round ratio, median | quartiles |")
PY
