// MPI all-reduce and broadcast of CPU tensors.
#include "workers/parallel/mpi_all_reduce.h"

#include <limits>

#include "common/error.h"
#include "messaging/mpi_channel.h"

namespace fineprune {

namespace {

MPI_Datatype mpi_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return MPI_FLOAT;
    case torch::kFloat64: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    default: throw Error(std::string("MPI all-reduce: unsupported tensor type ") + c10::toString(t.scalar_type()));
  }
}

int element_count(const torch::Tensor& t) {
  if (!t.device().is_cpu()) throw Error("MPI all-reduce: the tensor is on " + t.device().str() + ", not the CPU");
  if (!t.is_contiguous()) throw Error("MPI all-reduce: the tensor is not contiguous");
  if (t.numel() > std::numeric_limits<int>::max()) throw Error("MPI all-reduce: tensor too large for one call");
  return static_cast<int>(t.numel());
}

// A nonblocking collective moves on only inside MPI_Test. The ranks of a group reach a collective
// within moments of each other: the back-off's first 200 us poll without pause (a small
// all-reduce ends there, a large one streams at full speed), then sleeps grow to 1 ms only, so a
// rank waiting for a slower peer leaves the cores to training and sees its turn soon.
constexpr double kMaxSleepMicros = 1000;

}  // namespace

MpiAllReduce::MpiAllReduce(MPI_Comm group) : watch_(group) {
  mpi_check(MPI_Comm_dup(group, &collectives_), "MPI_Comm_dup (collective communicator)");
  mpi_check(MPI_Comm_rank(collectives_, &rank_), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(collectives_, &size_), "MPI_Comm_size");
}

MpiAllReduce::~MpiAllReduce() {
  if (collectives_ != MPI_COMM_NULL) MPI_Comm_free(&collectives_);
}

void MpiAllReduce::wait(MPI_Request& request, const torch::Tensor& tensor, const char* call) {
  Backoff backoff(kMaxSleepMicros);
  for (;;) {
    int done = 0;
    mpi_check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    if (watch_.peer_failed()) {
      abandoned_.push_back({request, tensor});
      throw PeerFailed();
    }
    backoff.sleep();
  }
}

void MpiAllReduce::begin_task() { watch_.begin_task(); }

std::string MpiAllReduce::end_task(const std::string& own_failure) {
  const PeerFailureWatch::Verdict verdict = watch_.settle(own_failure);
  if (verdict.broken) {
    abandoned_comms_.push_back(collectives_);
    collectives_ = watch_.fresh_communicator();
  }
  return verdict.failure;
}

void MpiAllReduce::sum(torch::Tensor& tensor) {
  const int count = element_count(tensor);
  if (count == 0) return;
  MPI_Request request;
  watch_.posted();
  mpi_check(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), count, mpi_type(tensor), MPI_SUM, collectives_,
                           &request),
            "MPI_Iallreduce");
  wait(request, tensor, "MPI_Iallreduce (MPI_Test)");
}

void MpiAllReduce::broadcast(torch::Tensor& tensor, int root) {
  const int count = element_count(tensor);
  if (count == 0) return;
  MPI_Request request;
  watch_.posted();
  mpi_check(MPI_Ibcast(tensor.data_ptr(), count, mpi_type(tensor), root, collectives_, &request), "MPI_Ibcast");
  wait(request, tensor, "MPI_Ibcast (MPI_Test)");
}

}  // namespace fineprune
