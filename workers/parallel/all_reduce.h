// The data plane of a worker group: one small collective interface over the group's ranks.
// Includes neither mpi.h nor nccl.h; the backends (mpi_all_reduce.*, nccl_all_reduce.*) do, and
// all_reduce_factory.* is the only place that knows which were built.
#pragma once

#include <torch/torch.h>

#include <string>

#include "common/error.h"

namespace fineprune {

// Thrown out of a collective on the ranks of a group that wait for a rank whose task failed
// (peer_failure.h). The group's leader reports that rank's error, not this.
class PeerFailed : public Error {
 public:
  PeerFailed() : Error("another rank of the worker group failed in this task") {}
};

class AllReduce {
 public:
  virtual ~AllReduce() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi" | "nccl"

  // Sums `tensor` element-wise over the group, in place; every rank ends with the same values.
  // The tensor must be contiguous, of float32, float64 or int64. The MPI backend takes CPU
  // tensors; the NCCL backend takes CUDA tensors (and stages CPU ones through the device).
  virtual void sum(torch::Tensor& tensor) = 0;

  // Copies rank `root`'s `tensor` into every rank's `tensor` (same shape and type everywhere).
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;

  // Failures on some ranks only (peer_failure.h). Every rank calls begin_task() before each task
  // and end_task() after it, with its own error ("" when the task succeeded, stopped, or gave up
  // with PeerFailed). Returns the group's error, the same on every rank ("" when none failed);
  // when some rank gave up a collective, the backend has reconnected the group by then.
  virtual void begin_task() = 0;
  virtual std::string end_task(const std::string& own_failure) = 0;
};

}  // namespace fineprune
