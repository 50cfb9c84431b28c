#define _GNU_SOURCE
#include "herald_timer.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

uint64_t herald_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/// Starts a thread with every signal blocked: signals go to the thread that
/// waits for them (heraldd's), never to a pool or timer thread.
int herald_thread_start(void *(*body)(void *), void *argument) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    int error = pthread_create(&thread, NULL, body, argument);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (error == 0) pthread_detach(thread);
    return error;
}

// MARK: - The timer thread

typedef struct {
    uint64_t when;  // CLOCK_MONOTONIC, ns
    uint64_t id;
    void (*fire)(void *);
    void *context;
} Timer;

/// A binary min-heap on `when`; cancellation searches it, which is fine for
/// the handful of timers a daemon has pending.
static struct {
    pthread_once_t once;
    int start_error;
    pthread_mutex_t lock;
    pthread_cond_t changed;  // on CLOCK_MONOTONIC
    Timer *heap;
    size_t count, capacity;
    uint64_t last_id;
} timers = {PTHREAD_ONCE_INIT, 0, PTHREAD_MUTEX_INITIALIZER};

static int earlier(size_t a, size_t b) {
    return timers.heap[a].when < timers.heap[b].when
        || (timers.heap[a].when == timers.heap[b].when && timers.heap[a].id < timers.heap[b].id);
}

static void swap_timers(size_t a, size_t b) {
    Timer t = timers.heap[a];
    timers.heap[a] = timers.heap[b];
    timers.heap[b] = t;
}

static void sift_up(size_t i) {
    while (i > 0 && earlier(i, (i - 1) / 2)) {
        swap_timers(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(size_t i) {
    for (;;) {
        size_t least = i, left = 2 * i + 1, right = left + 1;
        if (left < timers.count && earlier(left, least)) least = left;
        if (right < timers.count && earlier(right, least)) least = right;
        if (least == i) return;
        swap_timers(i, least);
        i = least;
    }
}

static void remove_at(size_t i) {
    timers.count--;
    if (i == timers.count) return;
    timers.heap[i] = timers.heap[timers.count];
    sift_down(i);
    sift_up(i);
}

static void *timer_thread(void *unused) {
    (void)unused;
    prctl(PR_SET_NAME, (unsigned long)"herald-timer", 0, 0, 0);
    pthread_mutex_lock(&timers.lock);
    for (;;) {
        if (timers.count == 0) {
            pthread_cond_wait(&timers.changed, &timers.lock);  // nothing pending: sleep until told
            continue;
        }
        uint64_t when = timers.heap[0].when;
        if (when > herald_monotonic_ns()) {
            struct timespec until = {(time_t)(when / 1000000000u), (long)(when % 1000000000u)};
            pthread_cond_timedwait(&timers.changed, &timers.lock, &until);
            continue;
        }
        Timer due = timers.heap[0];
        remove_at(0);
        pthread_mutex_unlock(&timers.lock);
        due.fire(due.context);
        pthread_mutex_lock(&timers.lock);
    }
    return NULL;
}

static void timers_start(void) {
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&timers.changed, &attributes);
    pthread_condattr_destroy(&attributes);
    timers.start_error = herald_thread_start(timer_thread, NULL);
}

int herald_timer_start(void) {
    pthread_once(&timers.once, timers_start);
    return timers.start_error;
}

uint64_t herald_timer_schedule(uint64_t when, void (*fire)(void *), void *context) {
    if (herald_timer_start() != 0) return 0;
    pthread_mutex_lock(&timers.lock);
    if (timers.count == timers.capacity) {
        size_t capacity = timers.capacity ? timers.capacity * 2 : 32;
        Timer *heap = realloc(timers.heap, capacity * sizeof *heap);
        if (heap == NULL) {
            fprintf(stderr, "herald: out of memory scheduling a timer\n");
            abort();
        }
        timers.heap = heap;
        timers.capacity = capacity;
    }
    uint64_t id = ++timers.last_id;
    timers.heap[timers.count] = (Timer){when, id, fire, context};
    sift_up(timers.count++);
    if (timers.heap[0].id == id) pthread_cond_signal(&timers.changed);  // a new earliest deadline
    pthread_mutex_unlock(&timers.lock);
    return id;
}

int herald_timer_cancel(uint64_t id) {
    pthread_mutex_lock(&timers.lock);
    int removed = 0;
    for (size_t i = 0; i < timers.count; i++) {
        if (timers.heap[i].id == id) {
            remove_at(i);
            removed = 1;
            break;
        }
    }
    pthread_mutex_unlock(&timers.lock);
    return removed;
}
