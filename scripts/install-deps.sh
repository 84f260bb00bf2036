#!/usr/bin/env bash
# Installs the Debian packages fineprune needs to build, test and run, skipping those already present.
# slurm-wlm and munge serve the `slurm` tests (a one-node cluster, slurm/testing/local-cluster.sh);
# no daemon is started here.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  gnuplot-nox libpng-dev   # report figures (pngcairo, no X); the figure tests decode PNGs
  libyaml-cpp-dev libgtest-dev libcli11-dev
  dataset-fashion-mnist
  python3-h5py python3-pandas python3-tables
  python3-torch   # PyTorch's side of the received-model tests (fineprune defend / export) and the benchmarks
  slurm-wlm munge
  clang libclang-rt-14-dev  # the `fuzz` tests: clang++ with libFuzzer (tests/fuzz/)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
