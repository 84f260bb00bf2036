// The NCCL backend of AllReduce: CUDA tensors, one GPU per rank. Built only where CMake found
// CUDA and NCCL (FINEPRUNE_HAVE_NCCL); all_reduce_factory.cpp is its only user.
//
// Bootstrap: rank 0 of the group creates the NCCL unique id and broadcasts it over the group's
// MPI communicator; every rank then joins with ncclCommInitRank. Device: the node-local rank
// (node_place(), messaging/mpi_channel.h: srun's SLURM_LOCALID, else mpirun's
// OMPI_COMM_WORLD_LOCAL_RANK, else MPI's shared-memory split) modulo the number of visible
// devices (cudaGetDeviceCount honours CUDA_VISIBLE_DEVICES, which Slurm sets per task where GPUs
// are bound to tasks).
// Ordering: each call synchronises the device before the collective and its own stream after, so
// it is correct whatever stream produced the tensor (simple, not the fastest); the wait polls
// the stream, so that a peer's failure aborts the collective (peer_failure.h).
#pragma once

#include <mpi.h>

#include <memory>

#include "workers/parallel/all_reduce.h"

namespace fineprune {

class NcclAllReduce : public AllReduce {
 public:
  // Throws Error (naming the call, NCCL's or CUDA's message, host and rank) when no device is
  // visible or NCCL fails to start.
  explicit NcclAllReduce(MPI_Comm group);
  ~NcclAllReduce() override;

  int rank() const override;
  int size() const override;
  std::string backend() const override { return "nccl"; }
  int device_index() const;  // the CUDA device this rank uses

  void sum(torch::Tensor& tensor) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  void begin_task() override;
  std::string end_task(const std::string& own_failure) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The CUDA device a rank of this node should use (its node-local rank modulo the visible
// devices), or -1 when none is visible.
int local_cuda_device();

}  // namespace fineprune
