// Checked MPI calls and text messages that wait without spinning.
//
// OpenMPI busy-polls inside blocking calls, so a master or an idle rank waiting in MPI_Recv would
// burn a core that training needs. Every wait here is MPI_Iprobe/MPI_Test with a back-off sleep
// (0.1 ms growing to 20 ms). Every MPI call goes through mpi_check, which turns a failure into an
// Error naming the call, MPI's message, the host and the rank (MPI_ERRORS_RETURN is set on init).
#pragma once

#include <mpi.h>

#include <optional>
#include <string>

namespace fineprune {

// Initialises MPI (thread level FUNNELED) and sets MPI_ERRORS_RETURN on MPI_COMM_WORLD.
void mpi_start(int* argc, char*** argv);
void mpi_finish();

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

// A message from `source` (MPI_ANY_SOURCE allowed) if one has arrived, else nullopt at once.
std::optional<Message> try_receive(MPI_Comm comm, int source);

// Waits (polling with back-off) for a message from `source`.
Message wait_receive(MPI_Comm comm, int source);

// The growing sleep between polls; reset() after any progress.
class Backoff {
 public:
  void sleep();
  void reset() { micros_ = 100; }

 private:
  long micros_ = 100;
};

}  // namespace fineprune
