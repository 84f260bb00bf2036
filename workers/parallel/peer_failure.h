// What a worker group does when a task fails on some of its ranks only (a file one node cannot
// read, a device error, an out-of-memory on one GPU).
//
// Without this, the ranks that did not fail would wait for ever in the task's next collective,
// which the failed rank never joins, and the sweep would hang with its allocation. Instead:
//  - a rank whose task throws tells every other rank of the group (a notice: the task's number
//    alone, short enough for MPI to buffer, on a communicator used only for this);
//  - a rank waiting in a collective checks for such a notice between polls, gives up the
//    collective and throws PeerFailed;
//  - after every task, each rank tells the group's rank 0 how its task ended (its error, whether
//    it gave up a collective, how many collectives it posted) and rank 0 answers with the
//    group's verdict: the first rank's own error, and whether the group is "broken": a rank gave
//    up a collective, or the ranks posted different numbers of them (a broadcast may end on its
//    root alone, so a missing peer is not always noticed). A collective cannot be cancelled in MPI, so a broken group's
//    collective communicator can never be used again: every rank takes a fresh one (a duplicate
//    of the notice communicator, which only ever carries point-to-point messages) and the
//    abandoned operations stay pending, their buffers kept alive, until the process ends.
// A failure that every rank meets alike (a missing file on a shared file system, bad numerics of
// the all-reduced weights) leaves no collective half done: the group goes on as it was.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

namespace fineprune {

class PeerFailureWatch {
 public:
  // Collective over `group` (duplicates it); does not take ownership of `group`.
  explicit PeerFailureWatch(MPI_Comm group);
  ~PeerFailureWatch();
  PeerFailureWatch(const PeerFailureWatch&) = delete;
  PeerFailureWatch& operator=(const PeerFailureWatch&) = delete;

  // Every rank calls begin_task() before each task and settle() after it, and posted() for
  // each collective it posts in between.
  void begin_task();
  void posted() { ++posted_; }

  // Whether another rank reported that this task failed there. Called between the polls of a
  // collective wait; a true answer is remembered (the collective is abandoned, so settle() will
  // call the group broken). Notices of earlier tasks are read and dropped.
  bool peer_failed();

  struct Verdict {
    bool broken = false;  // some rank abandoned a collective: take fresh_communicator()
    std::string failure;  // the group's error ("" when every rank's task succeeded or stopped)
  };
  // `own_failure`: this rank's own error in the task ("" when it succeeded, stopped or gave up a
  // collective for a peer's failure). Sends the notices first when it is not empty, so that
  // ranks waiting in a collective come here too. Point-to-point only.
  Verdict settle(const std::string& own_failure);

  // A new communicator over the group's ranks, for collectives after a broken verdict.
  // Collective over the group (every rank calls it after the same verdict).
  MPI_Comm fresh_communicator();

 private:
  MPI_Comm notices_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int64_t task_ = 0;
  int64_t posted_ = 0;
  bool gave_up_ = false;
};

}  // namespace fineprune
