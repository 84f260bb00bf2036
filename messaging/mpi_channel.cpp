// MPI helpers: checked calls, polling sends and receives.
#include "messaging/mpi_channel.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <thread>
#include <vector>

#include "common/error.h"

namespace fineprune {

namespace {

NodePlace g_node_place;

// A whole non-negative number, or -1 (unset, empty or anything else).
int non_negative(const char* text) {
  if (!text || !*text) return -1;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return *end == '\0' && value >= 0 && value <= std::numeric_limits<int>::max() ? static_cast<int>(value) : -1;
}

}  // namespace

int launcher_local_rank(int world_rank, const char* slurm_procid, const char* slurm_localid,
                        const char* ompi_local_rank) {
  if (non_negative(slurm_procid) == world_rank && non_negative(slurm_localid) >= 0) return non_negative(slurm_localid);
  return non_negative(ompi_local_rank);
}

void mpi_start(int* argc, char*** argv) {
  int provided = 0;
  mpi_check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  mpi_check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  // Collective, so every rank does it here whether or not its launcher says the answer.
  MPI_Comm node;
  mpi_check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  NodePlace& place = g_node_place;
  mpi_check(MPI_Comm_rank(node, &place.local_rank), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(node, &place.local_size), "MPI_Comm_size");
  int master_here = world_rank() == 0 ? 1 : 0, masters = 0;
  mpi_check(MPI_Allreduce(&master_here, &masters, 1, MPI_INT, MPI_SUM, node), "MPI_Allreduce");
  place.has_master = masters > 0;
  MPI_Comm_free(&node);
  const int from_launcher = launcher_local_rank(world_rank(), std::getenv("SLURM_PROCID"), std::getenv("SLURM_LOCALID"),
                                                std::getenv("OMPI_COMM_WORLD_LOCAL_RANK"));
  if (from_launcher >= 0) place.local_rank = from_launcher;
}

const NodePlace& node_place() { return g_node_place; }

void mpi_finish() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

int world_rank() {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

void mpi_check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(len)) + " (host " +
              host_name() + ", rank " + std::to_string(world_rank()) + ")");
}

Backoff::Backoff(double max_micros) : max_micros_(max_micros) { reset(); }

void Backoff::reset() {
  micros_ = kFirstMicros;
  spin_until_ = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long>(kSpinMicros));
}

void Backoff::sleep() {
  if (std::chrono::steady_clock::now() < spin_until_) return;
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(micros_)));
  micros_ = std::min(micros_ * kFactor, max_micros_);
}

void wait_request(MPI_Request& request, const char* call, double max_sleep_micros) {
  Backoff backoff(max_sleep_micros);
  for (;;) {
    int done = 0;
    mpi_check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    backoff.sleep();
  }
}

void send_text(MPI_Comm comm, int dest, int tag, const std::string& text) {
  MPI_Request request;
  mpi_check(MPI_Isend(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, comm, &request),
            "MPI_Isend");
  wait_request(request, "MPI_Isend (MPI_Test)");
}

std::optional<Message> try_receive(MPI_Comm comm, int source, int tag) {
  int flag = 0;
  MPI_Status status;
  mpi_check(MPI_Iprobe(source, tag, comm, &flag, &status), "MPI_Iprobe");
  if (!flag) return std::nullopt;
  int count = 0;
  mpi_check(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  std::vector<char> buf(static_cast<size_t>(count));
  mpi_check(MPI_Recv(buf.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, comm, MPI_STATUS_IGNORE),
            "MPI_Recv");
  return Message{status.MPI_SOURCE, status.MPI_TAG, std::string(buf.begin(), buf.end())};
}

Message wait_receive(MPI_Comm comm, int source, int tag) {
  Backoff backoff;
  for (;;) {
    if (auto m = try_receive(comm, source, tag)) return *m;
    backoff.sleep();
  }
}

}  // namespace fineprune
