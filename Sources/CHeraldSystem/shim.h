#pragma once
#include <sys/eventfd.h>
#include <sys/prctl.h>

/// Names the calling thread (as `ps -L`, `top -H` and debuggers show it), so a
/// hung audio or bus thread is easy to spot. prctl is variadic and
/// pthread_setname_np needs _GNU_SOURCE, so Swift reaches neither directly.
static inline void herald_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/// Marks the process non-dumpable: no core file, and no ptrace or
/// /proc/PID/mem access from other processes of the same user, as ssh-agent
/// does. Returns the dumpable flag read back (0 when it took).
static inline int herald_forbid_core_dumps(void) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/// ThreadSanitizer's annotations, declared weak: in a build with
/// ThreadSanitizer they are its runtime's, in any other they are null and the
/// functions below do nothing (one test of a constant address).
extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));

static inline void herald_tsan_acquire(void *addr) {
    if (__tsan_acquire) __tsan_acquire(addr);
}

static inline void herald_tsan_release(void *addr) {
    if (__tsan_release) __tsan_release(addr);
}
