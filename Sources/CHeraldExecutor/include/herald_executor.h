#pragma once
#include <stdint.h>

/// Herald's thread pool as Swift concurrency's global executor, and the timer
/// thread that wakes sleeping tasks. Written in C because the runtime's hooks
/// are C function pointers with Swift's calling convention, and the pool must
/// exist before the first task does. HeraldSystem's `GlobalExecutor` and
/// `Sleep` are the Swift face of it; see there for why Herald has its own.

/// Points the runtime's global-enqueue hooks (`swift_task_enqueueGlobal*_hook`)
/// at a pool of `workers` threads named `herald-pool-N`. Call once, from the
/// main thread, before any task is created. Returns 0, or the errno of a thread that could not start
/// (nothing is installed then).
int herald_executor_install(unsigned workers);

/// Runs the main actor's jobs (libdispatch's main queue) on the calling
/// thread, which must be the main thread, until herald_executor_stop_main.
/// Call after herald_executor_install.
void herald_executor_run_main(void);

/// Makes herald_executor_run_main return.
void herald_executor_stop_main(void);

/// Calls `fire(context)` on the timer thread (`herald-timer`) once
/// CLOCK_MONOTONIC reaches `deadline_ns`. Returns the timer's id for
/// herald_timer_cancel (never 0), or 0 when the timer thread could not start.
uint64_t herald_timer_schedule(uint64_t deadline_ns, void (*fire)(void *), void *context);

/// Removes a timer that has not fired. Returns 1 when it was removed (`fire`
/// will not be called), 0 when it has fired or is firing.
int herald_timer_cancel(uint64_t id);

/// CLOCK_MONOTONIC in nanoseconds: the timer thread's clock.
uint64_t herald_monotonic_ns(void);
