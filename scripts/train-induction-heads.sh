#!/usr/bin/env bash
# Trains the induction-heads model that extrapolates from 256 to 65,536 tokens, then evaluates it.
#
#   scripts/train-induction-heads.sh [OUT_DIR] [THREADS]     (default runs/induction-heads, 2 threads)
#
# Every stage is one `ssm train induction-heads` run that starts from the previous stage's weights
# (--init-from): a short-length start (the demo's settings, L = 64), then L = 256, then truncated BPTT with
# prefixes of 32,768, 49,152 and 65,536 untracked tokens before each 256-token graded window (--prefix), so
# that a trigger and its answer may lie up to prefix + 256 tokens before the query; the last three stages draw
# the prefix length per update (--prefix-sampling): log-uniformly in 0..65,536, so short gaps from the zero
# state are trained beside the long ones, then uniform or log-uniform with equal chance, which restores the
# longest gaps (two such stages). Then `ssm eval-task` on 1,000 fresh sequences at 256, 4,096, 16,384 and
# 65,536 tokens. About 45 minutes of training and 16 minutes of evaluation on 2 cores. Measured end to end
# (docs/results.md): 100 % at 256, 4,096 and 16,384, but 94.1 % at 65,536, below the 99 % goal that the
# documented chain with early-stopped stages reaches. Set SSM to the ssm binary to use (default: dotnet run
# of the CLI).
# A stage whose run directory is complete is skipped, and a stopped stage resumes, so the script can be rerun.
set -euo pipefail

out="${1:-runs/induction-heads}"
threads="${2:-2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${SSM:-}" ]; then ssm=("$SSM"); else
    dotnet build "$root/src/Ssm.Engine.Cli" -c Release -v q --nologo >/dev/null
    ssm=(dotnet "$root/src/Ssm.Engine.Cli/bin/Release/net10.0/ssm.dll")
fi
mkdir -p "$out"

stage() {   # stage NAME FROM ARGS...: one training run, resumed if it was stopped, skipped when complete
    local name="$1" from="$2"; shift 2
    local dir="$out/$name"
    if [ -f "$dir/metrics.csv" ]; then echo "== $name: complete"; return; fi
    echo "== $name"
    if [ -f "$dir/trainer_state.safetensors" ]; then
        "${ssm[@]}" train --resume "$dir" --threads "$threads"
    else
        local init=(); if [ -n "$from" ]; then init=(--init-from "$out/$from"); fi
        "${ssm[@]}" train induction-heads --seed 0 --threads "$threads" --out "$dir" "${init[@]}" "$@"
    fi
}

stage s1-length64 ""            --length 64 --batch 64 --lr 3e-3 --steps 600
stage s2-length256 s1-length64  --batch 32 --lr 1e-3 --steps 1300
stage s3-prefix32k s2-length256 --prefix 32768 --batch 8 --lr 1e-3 --steps 120
stage s4-prefix48k s3-prefix32k --prefix 49152 --batch 8 --lr 1e-3 --steps 80
stage s5-prefix64k s4-prefix48k --prefix 65536 --batch 8 --lr 5e-4 --steps 150
stage s6-loguniform s5-prefix64k --prefix 65536 --prefix-sampling log-uniform --batch 16 --lr 2e-4 --steps 500
stage s7-mixed s6-loguniform    --prefix 65536 --prefix-sampling mixed --batch 16 --lr 1e-4 --steps 200
stage s8-mixed s7-mixed         --prefix 65536 --prefix-sampling mixed --batch 16 --lr 1e-4 --steps 200

"${ssm[@]}" eval-task "$out/s8-mixed" --lengths 256,4096,16384,65536 --sequences 1000 --batch 100 \
    | tee "$out/eval.txt"
