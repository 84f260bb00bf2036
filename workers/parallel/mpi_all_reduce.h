// The MPI backend of AllReduce: CPU tensors, over a worker group's communicator. Waits by
// polling (MPI_Test with a back-off sleep, messaging/mpi_channel.h), not in a blocking call, so
// a rank that reaches a collective early does not spin on a core its neighbours train on, and
// so that it can give the collective up when a peer's task failed (peer_failure.h).
#pragma once

#include <mpi.h>

#include <vector>

#include "workers/parallel/all_reduce.h"
#include "workers/parallel/peer_failure.h"

namespace fineprune {

class MpiAllReduce : public AllReduce {
 public:
  // Collective over `group` (duplicates it); does not take ownership of `group`.
  explicit MpiAllReduce(MPI_Comm group);
  ~MpiAllReduce() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void sum(torch::Tensor& tensor) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  void begin_task() override;
  std::string end_task(const std::string& own_failure) override;

 private:
  // Waits for `request` on `tensor`; throws PeerFailed, keeping both, when a peer failed.
  void wait(MPI_Request& request, const torch::Tensor& tensor, const char* call);

  struct Abandoned {
    MPI_Request request;
    torch::Tensor buffer;  // kept alive: MPI may still write into it
  };

  PeerFailureWatch watch_;
  MPI_Comm collectives_ = MPI_COMM_NULL;        // replaced after a broken task
  std::vector<MPI_Comm> abandoned_comms_;       // never freed: operations on them never end
  std::vector<Abandoned> abandoned_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace fineprune
