#!/usr/bin/env bash
# The README's main command: set up, build, and run the default Fashion-MNIST experiment
# (configs/fmnist-experiment.yaml), writing out/fmnist.h5. Extra arguments go to `fineprune`
# (for example --seed 1 for a single seed).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/build.sh
mkdir -p out
./build/cli/fineprune experiment configs/fmnist-experiment.yaml --out out/fmnist.h5 "$@"
