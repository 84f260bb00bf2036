// NCCL all-reduce and broadcast; every CUDA and NCCL call is checked in one place.
#include "workers/parallel/nccl_all_reduce.h"

#include <cuda_runtime.h>
#include <nccl.h>


#include "common/error.h"
#include "messaging/mpi_channel.h"
#include "workers/parallel/peer_failure.h"

namespace fineprune {

namespace {

std::string where() { return " (host " + host_name() + ", rank " + std::to_string(world_rank()) + ")"; }

void cuda_check(cudaError_t rc, const char* call) {
  if (rc != cudaSuccess) throw Error(std::string(call) + " failed: " + cudaGetErrorString(rc) + where());
}

ncclDataType_t nccl_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return ncclFloat32;
    case torch::kFloat64: return ncclFloat64;
    case torch::kInt64: return ncclInt64;
    default: throw Error(std::string("NCCL all-reduce: unsupported tensor type ") + c10::toString(t.scalar_type()));
  }
}

// As the MPI backend: spin briefly, then sleep up to 1 ms between polls.
constexpr double kMaxSleepMicros = 1000;


}  // namespace

int local_cuda_device() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return -1;
  return node_place().local_rank % count;
}

struct NcclAllReduce::Impl {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  int rank = 0, size = 1, device = -1;

  // On an NCCL error the communicator is aborted before throwing: the other ranks' collectives
  // fail instead of waiting forever.
  void check(ncclResult_t rc, const char* call) {
    if (rc == ncclSuccess) return;
    const std::string message = std::string(call) + " failed: " + ncclGetErrorString(rc) + where();
    if (comm) {
      ncclCommAbort(comm);
      comm = nullptr;
    }
    throw Error(message);
  }

  void run(torch::Tensor& tensor, bool reduce, int root) {
    if (tensor.numel() == 0) return;
    torch::Tensor work = tensor.is_cuda() ? tensor : tensor.to(torch::Device(torch::kCUDA, device));
    if (!work.is_contiguous()) throw Error("NCCL all-reduce: the tensor is not contiguous");
    cuda_check(cudaSetDevice(device), "cudaSetDevice");
    cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    const size_t count = static_cast<size_t>(work.numel());
    watch->posted();
    if (reduce) {
      check(ncclAllReduce(work.data_ptr(), work.data_ptr(), count, nccl_type(work), ncclSum, comm, stream),
            "ncclAllReduce");
    } else {
      check(ncclBroadcast(work.data_ptr(), work.data_ptr(), count, nccl_type(work), root, comm, stream),
            "ncclBroadcast");
    }
    wait();
    if (!tensor.is_cuda()) tensor.copy_(work.cpu());
  }

  // Polls the stream (a blocking synchronise could not notice a peer's failure). When a peer's
  // task failed, aborts the communicator: that ends the collective's kernels, which would
  // otherwise wait for the missing rank for ever.
  void wait() {
    Backoff backoff(kMaxSleepMicros);
    for (;;) {
      const cudaError_t rc = cudaStreamQuery(stream);
      if (rc == cudaSuccess) return;
      if (rc != cudaErrorNotReady) cuda_check(rc, "cudaStreamQuery");
      if (watch->peer_failed()) {
        ncclCommAbort(comm);
        comm = nullptr;
        throw PeerFailed();
      }
      backoff.sleep();
    }
  }

  // Joins a new NCCL communicator over `group` (rank 0 makes the id, MPI broadcasts it).
  void connect(MPI_Comm group) {
    ncclUniqueId id;
    if (rank == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    mpi_check(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, group), "MPI_Bcast (NCCL unique id)");
    check(ncclCommInitRank(&comm, size, id, rank), "ncclCommInitRank");
  }

  std::unique_ptr<PeerFailureWatch> watch;
};

NcclAllReduce::NcclAllReduce(MPI_Comm group) : impl_(std::make_unique<Impl>()) {
  mpi_check(MPI_Comm_rank(group, &impl_->rank), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(group, &impl_->size), "MPI_Comm_size");
  impl_->device = local_cuda_device();
  if (impl_->device < 0) throw Error("NCCL backend: no CUDA device is visible" + where());
  cuda_check(cudaSetDevice(impl_->device), "cudaSetDevice");
  cuda_check(cudaStreamCreate(&impl_->stream), "cudaStreamCreate");
  impl_->watch = std::make_unique<PeerFailureWatch>(group);
  impl_->connect(group);
}

NcclAllReduce::~NcclAllReduce() {
  if (impl_->comm) ncclCommDestroy(impl_->comm);
  if (impl_->stream) cudaStreamDestroy(impl_->stream);
}

int NcclAllReduce::rank() const { return impl_->rank; }
int NcclAllReduce::size() const { return impl_->size; }
int NcclAllReduce::device_index() const { return impl_->device; }
void NcclAllReduce::sum(torch::Tensor& tensor) { impl_->run(tensor, true, 0); }
void NcclAllReduce::broadcast(torch::Tensor& tensor, int root) { impl_->run(tensor, false, root); }
void NcclAllReduce::begin_task() { impl_->watch->begin_task(); }

// After a broken task every rank drops its NCCL communicator (aborted already where a rank gave
// up) and the group joins a new one, bootstrapped over a fresh MPI communicator.
std::string NcclAllReduce::end_task(const std::string& own_failure) {
  const PeerFailureWatch::Verdict verdict = impl_->watch->settle(own_failure);
  if (verdict.broken) {
    if (impl_->comm) ncclCommAbort(impl_->comm);
    impl_->comm = nullptr;
    MPI_Comm fresh = impl_->watch->fresh_communicator();
    impl_->connect(fresh);
    MPI_Comm_free(&fresh);
  }
  return verdict.failure;
}

}  // namespace fineprune
