// The MPI backend of AllReduce: CPU tensors, over a worker group's communicator. Waits by
// polling (MPI_Test with a back-off sleep, orchestrator/mpi_channel.h), not in a blocking call, so
// a rank that reaches a collective early does not spin on a core its neighbours train on.
#pragma once

#include <mpi.h>

#include "workers/parallel/all_reduce.h"

namespace fineprune {

class MpiAllReduce : public AllReduce {
 public:
  explicit MpiAllReduce(MPI_Comm group);  // does not take ownership of `group`

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void sum(torch::Tensor& tensor) override;
  void broadcast(torch::Tensor& tensor, int root) override;

 private:
  MPI_Comm group_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace fineprune
