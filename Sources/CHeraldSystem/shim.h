#pragma once
#include <sys/eventfd.h>
#include <sys/prctl.h>

/// Names the calling thread (as `ps -L`, `top -H` and debuggers show it), so a
/// hung audio or bus thread is easy to spot. prctl is variadic and
/// pthread_setname_np needs _GNU_SOURCE, so Swift reaches neither directly.
static inline void herald_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}
