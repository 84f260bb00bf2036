#!/usr/bin/env bash
# Builds the data-parallel parts of fineprune against a GPU machine's CUDA LibTorch (the one
# inside its Python torch) and runs the GPU tests and benchmarks. Used on the lent device machine
# (bench/README.md, "GPU"); it needs nvcc, a CUDA PyTorch and cmake there.
#
#   bench/gpu-check.sh OUT_DIR [DEBS_DIR] [FASHION_MNIST_DIR]
#
# With FASHION_MNIST_DIR (the four IDX .gz files), it also builds `fineprune` and times the
# default sweep (configs/fmnist-demo.yaml) with one worker on the GPU, its result file and report
# left in OUT_DIR.
#
# DEBS_DIR (default .devdeps) holds Debian packages for what the machine may lack (OpenMPI,
# HDF5, yaml-cpp, GoogleTest, CLI11): their files are unpacked over / without replacing any
# file already there. Everything is logged to OUT_DIR/gpu-check.log. The set used on the H200
# (fetched on a Debian 12 machine into DEBS_DIR with `apt-get download`):
#   libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libhwloc15 libhwloc-plugins
#   libevent-core-2.1-7 libevent-pthreads-2.1-7 libfabric1 libucx0 libibverbs1 librdmacm1
#   libnl-3-200 libnl-route-3-200 libpsm-infinipath1 libpsm2-2 libnuma1 libltdl7 libhdf5-dev
#   libhdf5-103-1 libhdf5-hl-100 libsz2 libaec0 libyaml-cpp-dev libyaml-cpp0.7 libgtest-dev
#   libcli11-dev zlib1g-dev
# The exit status is that of the last step: read the log for the tests' and the sweep's own.
set -uo pipefail
out=${1:?usage: bench/gpu-check.sh OUT_DIR [DEBS_DIR]}
debs=${2:-.devdeps}
fmnist=${3:-}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
step() { echo; echo "== $* ($(date +%T))"; }

step machine
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
nproc; grep PRETTY /etc/os-release; g++ --version | head -1; cmake --version | head -1; nvcc --version | tail -1
command -v mpicxx mpirun || echo "no MPI installed"

step "unpacking missing packages from $debs"
stage=$(mktemp -d)
for d in "$debs"/*.deb; do dpkg -x "$d" "$stage"; done
tar -C "$stage" -cf - . | tar -C / -xf - --skip-old-files --keep-directory-symlink
# Debian names these through update-alternatives, which unpacking does not run.
for n in mpicc mpicxx mpic++ mpirun mpiexec; do
  [[ -e /usr/bin/$n || ! -e /usr/bin/$n.openmpi ]] || ln -s "$n.openmpi" "/usr/bin/$n"
done
ldconfig
command -v mpicxx mpirun
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

step configure
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
nccl_dir=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null || true)
nccl_args=()
if [[ -n "$nccl_dir" && -f "$nccl_dir/include/nccl.h" ]]; then
  nccl_args=(-DNCCL_INCLUDE_DIR="$nccl_dir/include" -DNCCL_LIBRARY="$(ls "$nccl_dir"/lib/libnccl.so* | head -1)")
fi
python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DCMAKE_CUDA_ARCHITECTURES=90 "${nccl_args[@]}" || exit 1
grep -E 'FINEPRUNE_HAVE_(CUDA|NCCL)' build-gpu/common/generated/common/config.h

step build
cmake --build build-gpu -j "$(nproc)" --target test_parallel_units test_parallel_gpu allreduce_bench step_time_bench \
  2>&1 | grep -E 'error|warning: unused|Built target' | head -60
[[ -x build-gpu/tests/parallel/test_parallel_gpu ]] || exit 1

step "GPU tests (one rank)"
mpirun -n 1 --bind-to none build-gpu/tests/parallel/test_parallel_gpu
echo "test_parallel_gpu exit $?"
build-gpu/tests/parallel/test_parallel_units --gtest_brief=1
echo "test_parallel_units exit $?"

step "NCCL all-reduce, one rank (bus bandwidth is 0 by definition for one rank; algbw shows the per-call cost)"
mpirun -n 1 --bind-to none build-gpu/bench/allreduce_bench nccl

step "step time: | model | device | ranks | batch | backend | buckets | compute ms | comm ms | update ms | step ms | images/s |"
for model in small_cnn vgg; do
  for batch in 128 1024; do
    mpirun -n 1 --bind-to none build-gpu/bench/step_time_bench --model $model --batch $batch --steps 50
    mpirun -n 1 --bind-to none build-gpu/bench/step_time_bench --model $model --batch $batch --steps 20 --backend mpi --threads "$(nproc)"
  done
done
if [[ -n "$fmnist" ]]; then
  step "default sweep on the GPU (one worker: master + 1 rank)"
  mkdir -p /usr/share/datasets/fashion-mnist && cp "$fmnist"/*.gz /usr/share/datasets/fashion-mnist/
  cmake --build build-gpu -j "$(nproc)" --target fineprune 2>&1 | grep -E 'error|Built target fineprune$'
  start=$(date +%s)
  mpirun -n 2 --bind-to none build-gpu/cli/fineprune run configs/fmnist-demo.yaml --out "$out/gpu-demo.h5" \
    --fresh --threads 8 --progress-interval 20
  echo "fineprune run exit $?, $(( $(date +%s) - start )) s"
  build-gpu/cli/fineprune report "$out/gpu-demo.h5" --out "$out/gpu-demo-report.md"
  cat "$out/gpu-demo-report.md"
fi
step done
