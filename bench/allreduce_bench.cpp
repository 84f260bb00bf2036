// Benchmark: all-reduce bus bandwidth of fineprune's backends, float32 sums from 4 KB to 64 MB.
//
//   mpiexec -n N build/bench/allreduce_bench [mpi|nccl]
//
// Per size: the time of one all-reduce (the slowest rank's mean over the iterations), the
// algorithm bandwidth (bytes / time) and the bus bandwidth as nccl-tests defines it for
// all-reduce: algbw x 2(n-1)/n, the traffic each rank's link carries (0 for one rank).
#include <mpi.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "common/config.h"
#include "workers/parallel/mpi_all_reduce.h"
#if FINEPRUNE_HAVE_NCCL
#include "workers/parallel/nccl_all_reduce.h"
#endif

using namespace fineprune;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const std::string backend = argc > 1 ? argv[1] : "mpi";
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::unique_ptr<AllReduce> group;
  torch::Device device = torch::kCPU;
  if (backend == "nccl") {
#if FINEPRUNE_HAVE_NCCL
    auto nccl = std::make_unique<NcclAllReduce>(MPI_COMM_WORLD);
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(nccl->device_index()));
    group = std::move(nccl);
#else
    if (rank == 0) std::fprintf(stderr, "allreduce_bench: this build has no NCCL backend\n");
    MPI_Finalize();
    return 2;
#endif
  } else {
    group = std::make_unique<MpiAllReduce>(MPI_COMM_WORLD);
  }
  if (rank == 0) {
    std::printf("all-reduce, backend %s, %d ranks, float32 sum\n\n", backend.c_str(), size);
    std::printf("| bytes | iterations | time (us) | algbw (GB/s) | busbw (GB/s) |\n|---:|---:|---:|---:|---:|\n");
  }
  for (int64_t bytes = 4 << 10; bytes <= (int64_t{64} << 20); bytes *= 4) {
    torch::Tensor t = torch::ones({bytes / 4}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    const int iterations = static_cast<int>(std::max<int64_t>(5, std::min<int64_t>(500, (int64_t{256} << 20) / bytes)));
    for (int i = 0; i < 3; ++i) group->sum(t);  // warm-up
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) group->sum(t);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    const double algbw = static_cast<double>(bytes) / seconds / 1e9;
    const double busbw = algbw * 2.0 * (size - 1) / size;
    if (rank == 0) {
      std::printf("| %lld | %d | %.1f | %.3f | %.3f |\n", static_cast<long long>(bytes), iterations, seconds * 1e6,
                  algbw, busbw);
    }
  }
  group.reset();
  MPI_Finalize();
  return 0;
}
