// The one place that knows which all-reduce backends were built: picks one for a worker group
// from the sweep's `parallel.backend` and says which device the group trains on.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>

#include "workers/parallel/all_reduce.h"
#include "workers/parallel/parallel_context.h"

namespace fineprune {

struct GroupParallel {
  std::unique_ptr<AllReduce> all_reduce;  // null for a group of one rank
  ParallelContext context;                // its group pointer is all_reduce.get()
};

// backend: "auto" (NCCL where it was built and a CUDA device is visible, else MPI), "mpi" or
// "nccl". Asking for "nccl" in a build without NCCL, or where no CUDA device is visible, is a
// ConfigError naming `spec_file` and the key parallel.backend (whatever the group's size).
// Collective over `group`: every rank of it must call this.
GroupParallel make_group_parallel(const std::string& backend, double bucket_mb, MPI_Comm group,
                                  const std::string& spec_file);

// Throws the ConfigError make_group_parallel would for `backend` on this rank (nccl without an
// NCCL build or without a visible CUDA device); no MPI calls, so a launcher can check every rank
// before any work starts.
void check_parallel_backend(const std::string& backend, const std::string& spec_file);

// Whether this build has the NCCL backend.
bool nccl_built();

}  // namespace fineprune
