#pragma once
#include <stdint.h>

/// Herald's thread pool as Swift concurrency's global executor, for heraldd
/// alone. Written in C because the runtime's hooks are C function pointers
/// with Swift's calling convention, and the pool must exist before the first
/// task does. HeraldExecutor's `GlobalExecutor` is the Swift face of it; see
/// there, and docs/memory.md, for why Herald has its own. Delayed jobs wait on
/// the timer thread (herald_timer.h).

/// Points the runtime's global-enqueue hooks (`swift_task_enqueueGlobal*_hook`)
/// at a pool of `workers` threads named `herald-pool-N`. Call once, from the
/// main thread, before any task is created. Returns 0, or the errno of a thread that could not start
/// (nothing is installed then).
int herald_executor_install(unsigned workers);

// Undoes what a constructor of this library does when heraldd loads (blocking
// SIGTERM, SIGINT and SIGHUP for DaemonSignals): for `herald`, the same binary
// started by another name, whose Ctrl-C must work as usual.
void herald_unblock_daemon_signals(void);

/// Runs the main actor's jobs (libdispatch's main queue) on the calling
/// thread, which must be the main thread, until herald_executor_stop_main.
/// Call after herald_executor_install.
void herald_executor_run_main(void);

/// Makes herald_executor_run_main return.
void herald_executor_stop_main(void);
