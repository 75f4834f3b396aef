#!/usr/bin/env bash
# Installs Fashion-MNIST (zalandoresearch) from Debian's dataset-fashion-mnist package: four gzipped IDX files in
# /usr/share/datasets/fashion-mnist, the default --data-dir of `ssm train vision --dataset fashion-mnist`.
# Usage: scripts/fetch-fashion-mnist.sh [DEST]  (DEST: also copy the files there)
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
have_all() { for f in "${files[@]}"; do [[ -s "$dir/$f" ]] || return 1; done; }
if ! have_all; then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends dataset-fashion-mnist
fi
have_all || { echo "fetch-fashion-mnist: $dir is still incomplete after installing" >&2; exit 1; }
if [[ $# -ge 1 ]]; then
    mkdir -p "$1"
    for f in "${files[@]}"; do cp "$dir/$f" "$1/"; done
    dir=$1
fi
for f in "${files[@]}"; do gzip -t "$dir/$f"; done
echo "Fashion-MNIST ready in $dir"
