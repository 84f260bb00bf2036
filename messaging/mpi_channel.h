// Checked MPI calls and text messages that wait without spinning.
//
// OpenMPI busy-polls inside blocking calls, so a master or an idle rank waiting in MPI_Recv would
// burn a core that training needs. Every wait here is MPI_Iprobe/MPI_Test with a back-off sleep
// (20 us growing by 1.25x per poll to 20 ms), so an idle rank wakes about 50 times a second. Every MPI call goes through mpi_check, which turns a failure into an
// Error naming the call, MPI's message, the host and the rank (MPI_ERRORS_RETURN is set on init).
#pragma once

#include <mpi.h>

#include <chrono>
#include <optional>
#include <string>

namespace fineprune {

// Initialises MPI (thread level FUNNELED), sets MPI_ERRORS_RETURN on MPI_COMM_WORLD and finds
// this rank's place on its node (node_place); every rank of the job must call it.
void mpi_start(int* argc, char*** argv);
void mpi_finish();

// Where this rank runs, known after mpi_start (from MPI's shared-memory split of the world).
struct NodePlace {
  int local_rank = 0;   // index among the node's ranks, as the launcher numbered them (see
                        // launcher_local_rank): a GPU node's rank r takes its r-th visible device
  int local_size = 1;   // ranks on this node
  bool has_master = false;  // world rank 0 (the master, which trains nothing) runs here
};
const NodePlace& node_place();

// The launcher's answer from its environment, or -1 when it gives none: SLURM_LOCALID where srun
// started this rank (SLURM_PROCID equals the MPI world rank; under mpirun inside a batch job every
// rank inherits the batch step's SLURM_PROCID and SLURM_LOCALID, which say nothing of it), else
// OMPI_COMM_WORLD_LOCAL_RANK. Null arguments mean unset. Where it gives none, node_place's
// local_rank is the rank's index in MPI's shared-memory split of MPI_COMM_WORLD.
int launcher_local_rank(int world_rank, const char* slurm_procid, const char* slurm_localid,
                        const char* ompi_local_rank);

void mpi_check(int rc, const char* call);
std::string host_name();
int world_rank();
int world_size();

// Sends `text` and waits (polling) until the send buffer is free.
void send_text(MPI_Comm comm, int dest, int tag, const std::string& text);

struct Message {
  int source = -1;
  int tag = -1;
  std::string text;
};

// A message from `source` (MPI_ANY_SOURCE allowed) with `tag` (any by default) if one has
// arrived, else nullopt at once.
std::optional<Message> try_receive(MPI_Comm comm, int source, int tag = MPI_ANY_TAG);

// Waits (polling with back-off, sleeps capped at max_sleep_micros) until `request` completes;
// `call` names the operation in the error.
void wait_request(MPI_Request& request, const char* call, double max_sleep_micros = 20000);

// Waits (polling with back-off) for a message from `source` with `tag` (any by default).
Message wait_receive(MPI_Comm comm, int source, int tag = MPI_ANY_TAG);

// The growing sleep between polls; reset() after any progress.
//
// The growth factor matters as much as the cap. Each sleep is about (factor - 1) / factor of the
// time already waited, and that is how late a message is seen. In a ping-pong (master and leader
// answering each other) one side's lateness is the other's waiting time, so with a factor of 2
// the lateness grows round by round until both sides sleep the cap: an empty task took 60 ms
// (measured, bench/README.md). With 1.25 a message is seen within about a fifth of the time
// waited, the ping-pong settles near the minimum sleep, and a long wait still costs only about
// 30 wake-ups before it reaches the cap.
//
// Every wait first polls without pause for 200 us after it starts or after reset(): an answer
// that comes quickly (the reply to a request just sent, the next message of a burst, a peer's
// half of an all-reduce) is seen at once, at most 200 us of CPU per wait (measured: one leader's
// dispatch rate 1,605 -> 9,427 tasks/s, bench/README.md). max_micros caps the sleep: 20 ms for the
// control plane (master, idle leaders); the all-reduce of a worker group uses 1 ms, since its
// peers arrive within a step's time of each other.
class Backoff {
 public:
  explicit Backoff(double max_micros = kMaxMicros);
  void sleep();
  void reset();

 private:
  static constexpr double kSpinMicros = 200;
  static constexpr double kFirstMicros = 20;
  static constexpr double kFactor = 1.25;
  static constexpr double kMaxMicros = 20000;
  double micros_ = kFirstMicros;
  double max_micros_;
  std::chrono::steady_clock::time_point spin_until_;
};

}  // namespace fineprune
