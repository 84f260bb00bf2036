// A process-wide "stop soon" flag for preemption: Slurm sends SIGUSR1 ahead of a time limit (and
// SIGTERM when it preempts or cancels). The handlers only set the flag; the master and the
// workers poll it at safe points (between dispatches, at epoch boundaries) and wind down there.
// No torch, no MPI.
#pragma once

namespace fineprune {

// Installs handlers for SIGUSR1 and SIGTERM that set the flag. Safe to call more than once.
void install_stop_handlers();

// Whether a stop was requested (by a signal or by request_stop()).
bool stop_requested();

// Sets the flag by hand (tests, and the fault-injection option).
void request_stop();

// Clears the flag (tests only).
void clear_stop_request();

}  // namespace fineprune
