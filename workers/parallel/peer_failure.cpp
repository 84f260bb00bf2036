// Notices and the end-of-task verdict of a worker group.
#include "workers/parallel/peer_failure.h"

#include <sstream>

#include "messaging/mpi_channel.h"

namespace fineprune {

namespace {

// Tags on the notice communicator (nothing else is sent on it).
constexpr int kTagNotice = 1;   // "<task number>\n", to every other rank
constexpr int kTagEnded = 2;    // rank > 0 -> rank 0: "<gave up 0|1> <collectives posted>\n<own error>"
constexpr int kTagVerdict = 3;  // rank 0 -> rank > 0: "<broken 0|1>\n<group error>"

std::string join(int64_t head, const std::string& text) { return std::to_string(head) + "\n" + text; }

std::pair<int64_t, std::string> split(const std::string& message) {
  const size_t newline = message.find('\n');
  return {std::stoll(message.substr(0, newline)), newline == std::string::npos ? "" : message.substr(newline + 1)};
}

}  // namespace

PeerFailureWatch::PeerFailureWatch(MPI_Comm group) {
  mpi_check(MPI_Comm_dup(group, &notices_), "MPI_Comm_dup (notice communicator)");
  mpi_check(MPI_Comm_rank(notices_, &rank_), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(notices_, &size_), "MPI_Comm_size");
}

PeerFailureWatch::~PeerFailureWatch() {
  if (notices_ != MPI_COMM_NULL) MPI_Comm_free(&notices_);
}

void PeerFailureWatch::begin_task() {
  ++task_;
  posted_ = 0;
  gave_up_ = false;
}

bool PeerFailureWatch::peer_failed() {
  while (auto m = try_receive(notices_, MPI_ANY_SOURCE, kTagNotice)) {
    if (split(m->text).first == task_) gave_up_ = true;
  }
  return gave_up_;
}

PeerFailureWatch::Verdict PeerFailureWatch::settle(const std::string& own_failure) {
  if (!own_failure.empty()) {
    // The task number only: a long error (a LibTorch backtrace) would not be buffered, and the
    // send would wait for peers that no longer read notices. The error goes to rank 0 below.
    for (int peer = 0; peer < size_; ++peer) {
      if (peer != rank_) send_text(notices_, peer, kTagNotice, join(task_, ""));
    }
  }
  Verdict verdict;
  const std::string ended = std::to_string(gave_up_ ? 1 : 0) + " " + std::to_string(posted_);
  if (rank_ != 0) {
    send_text(notices_, 0, kTagEnded, ended + "\n" + own_failure);
    const auto [broken, failure] = split(wait_receive(notices_, 0, kTagVerdict).text);
    verdict.broken = broken != 0;
    verdict.failure = failure;
    return verdict;
  }
  verdict.broken = gave_up_;
  verdict.failure = own_failure;
  for (int peer = 1; peer < size_; ++peer) {
    const std::string text = wait_receive(notices_, peer, kTagEnded).text;
    const size_t newline = text.find('\n');
    std::istringstream head(text.substr(0, newline));
    int gave_up = 0;
    int64_t posted = 0;
    head >> gave_up >> posted;
    const std::string failure = newline == std::string::npos ? "" : text.substr(newline + 1);
    verdict.broken = verdict.broken || gave_up != 0 || posted != posted_;
    if (verdict.failure.empty() && !failure.empty()) {
      verdict.failure = "on rank " + std::to_string(peer) + " of the worker group: " + failure;
    }
  }
  for (int peer = 1; peer < size_; ++peer) {
    send_text(notices_, peer, kTagVerdict, join(verdict.broken ? 1 : 0, verdict.failure));
  }
  return verdict;
}

MPI_Comm PeerFailureWatch::fresh_communicator() {
  MPI_Comm fresh = MPI_COMM_NULL;
  mpi_check(MPI_Comm_dup(notices_, &fresh), "MPI_Comm_dup (fresh collective communicator)");
  return fresh;
}

}  // namespace fineprune
