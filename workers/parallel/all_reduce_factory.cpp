// Backend choice for a worker group.
#include "workers/parallel/all_reduce_factory.h"

#include "common/config.h"
#include "common/error.h"
#include "messaging/mpi_channel.h"
#include "workers/parallel/mpi_all_reduce.h"
#if FINEPRUNE_HAVE_NCCL
#include "workers/parallel/nccl_all_reduce.h"
#endif

namespace fineprune {

bool nccl_built() { return FINEPRUNE_HAVE_NCCL != 0; }

void check_parallel_backend(const std::string& backend, const std::string& spec_file) {
  if (backend == "nccl" && !nccl_built()) {
    throw ConfigError(spec_file, "parallel.backend",
                      "nccl was asked for, but this build has no NCCL backend (CMake found no CUDA "
                      "toolkit with NCCL); use mpi or auto, or rebuild where NCCL is installed");
  }
  if (backend == "nccl" && !torch::cuda::is_available()) {
    throw ConfigError(spec_file, "parallel.backend",
                      "nccl was asked for, but no CUDA device is visible to LibTorch on host " + host_name() +
                          " (a CPU-only LibTorch, no GPU, or CUDA_VISIBLE_DEVICES empty); use mpi or auto");
  }
}

GroupParallel make_group_parallel(const std::string& backend, double bucket_mb, MPI_Comm group,
                                  const std::string& spec_file) {
  check_parallel_backend(backend, spec_file);
  const bool gpu = torch::cuda::is_available();
  const bool use_nccl = backend == "nccl" || (backend == "auto" && nccl_built() && gpu);
  GroupParallel out;
  out.context.bucket_bytes = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  int size = 1;
  mpi_check(MPI_Comm_size(group, &size), "MPI_Comm_size");
#if FINEPRUNE_HAVE_NCCL
  if (use_nccl) {
    if (size > 1) {
      auto nccl = std::make_unique<NcclAllReduce>(group);
      out.context.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(nccl->device_index()));
      out.all_reduce = std::move(nccl);
    } else {
      const int device = local_cuda_device();
      if (device >= 0) out.context.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device));
    }
  }
#else
  (void)use_nccl;
#endif
  if (size > 1 && !out.all_reduce) out.all_reduce = std::make_unique<MpiAllReduce>(group);
  out.context.group = out.all_reduce.get();
  return out;
}

}  // namespace fineprune
