#!/usr/bin/env bash
# The README's main command: set up, build, and run the default Fashion-MNIST sweep
# (configs/fmnist-demo.yaml) under MPI into out/fmnist-demo.h5, then print its paper-style table
# and draw its figures into out/fmnist-demo-figures/. Rank 0 is the master; one worker rank per
# core, each with one thread. Extra arguments go to `fineprune run` (for example --fresh, --quiet
# or --progress-interval 30). Running it again resumes: finished tasks are not recomputed.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/build.sh
mkdir -p out
workers=$(nproc)
# --bind-to none: OpenMPI would pin small runs to one core per rank; fineprune sets the threads.
launch=(mpirun -np $((workers + 1)) --oversubscribe --bind-to none)
# OpenMPI refuses to start as root unless told; containers and CI often run as root.
[[ $(id -u) == 0 ]] && launch+=(--allow-run-as-root)
"${launch[@]}" ./build/cli/fineprune run configs/fmnist-demo.yaml --out out/fmnist-demo.h5 "$@"
./build/cli/fineprune report out/fmnist-demo.h5 --plot out/fmnist-demo-figures
