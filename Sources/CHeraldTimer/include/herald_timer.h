#pragma once
#include <stdint.h>

/// Herald's timer thread, which wakes sleeping tasks (HeraldSystem's `Sleep`)
/// and, in heraldd, delayed jobs of the global executor (CHeraldExecutor).
/// It waits only until the next deadline, so with nothing pending it is never
/// woken. Plain pthreads: no Swift runtime hooks, no libdispatch, so every
/// target may use it.

/// Starts the timer thread now rather than at the first timer, so a failure
/// shows at start-up. Returns 0, or pthread_create's error (also on later calls).
int herald_timer_start(void);

/// Calls `fire(context)` on the timer thread (`herald-timer`) once
/// CLOCK_MONOTONIC reaches `deadline_ns`. Returns the timer's id for
/// herald_timer_cancel (never 0), or 0 when the timer thread could not start.
uint64_t herald_timer_schedule(uint64_t deadline_ns, void (*fire)(void *), void *context);

/// Removes a timer that has not fired. Returns 1 when it was removed (`fire`
/// will not be called), 0 when it has fired or is firing.
int herald_timer_cancel(uint64_t id);

/// CLOCK_MONOTONIC in nanoseconds: the timer thread's clock.
uint64_t herald_monotonic_ns(void);

/// Starts a detached thread with every signal blocked, so signals go to the
/// thread that waits for them (heraldd's), never to a pool or timer thread.
/// Returns 0 or pthread_create's error.
int herald_thread_start(void *(*body)(void *), void *argument);
