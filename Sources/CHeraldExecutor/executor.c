#define _GNU_SOURCE
#include "herald_executor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

// The Swift concurrency runtime's side (libswift_Concurrency): the hooks it
// consults before handing a job to libdispatch, and the entry points to run a
// job and read its priority and clocks. These are the declarations of the
// runtime's include/swift/Runtime/Concurrency.h, which the toolchain does not
// ship; swift-nio and swift-async-algorithms declare the same hooks.
#define SWIFTCC __attribute__((swiftcall))

typedef struct SwiftJob SwiftJob;
/// The runtime's SerialExecutorRef; {NULL, 0} is the "generic" executor that
/// global jobs run on, as libdispatch's global executor runs them.
typedef struct {
    void *identity;
    uintptr_t implementation;
} SerialExecutorRef;

typedef SWIFTCC void (*enqueue_original)(SwiftJob *);
typedef SWIFTCC void (*enqueue_hook)(SwiftJob *, enqueue_original);
typedef SWIFTCC void (*delay_original)(unsigned long long, SwiftJob *);
typedef SWIFTCC void (*delay_hook)(unsigned long long, SwiftJob *, delay_original);
typedef SWIFTCC void (*deadline_original)(long long, long long, long long, long long, int, SwiftJob *);
typedef SWIFTCC void (*deadline_hook)(long long, long long, long long, long long, int, SwiftJob *, deadline_original);

extern enqueue_hook swift_task_enqueueGlobal_hook;
extern delay_hook swift_task_enqueueGlobalWithDelay_hook;
extern deadline_hook swift_task_enqueueGlobalWithDeadline_hook;

extern SWIFTCC void swift_job_run(SwiftJob *job, SerialExecutorRef executor);
extern SWIFTCC uint8_t swift_concurrency_jobPriority(SwiftJob *job);
extern SWIFTCC void swift_get_time(long long *seconds, long long *nanoseconds, int clock);

static void die(const char *what) {
    fprintf(stderr, "heraldd: %s\n", what);
    abort();
}

uint64_t herald_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/// Starts a thread with every signal blocked: signals go to the thread that
/// waits for them (heraldd's), never to a pool or timer thread.
static int start_thread(void *(*body)(void *), void *argument) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    int error = pthread_create(&thread, NULL, body, argument);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (error == 0) pthread_detach(thread);
    return error;
}

// MARK: - The pool

/// A growable FIFO of jobs; grows by doubling and never shrinks, so a steady
/// load enqueues without allocating.
typedef struct {
    SwiftJob **jobs;
    size_t capacity, head, count;
} Ring;

static void ring_push(Ring *ring, SwiftJob *job) {
    if (ring->count == ring->capacity) {
        size_t capacity = ring->capacity ? ring->capacity * 2 : 64;
        SwiftJob **jobs = malloc(capacity * sizeof *jobs);
        if (jobs == NULL) die("out of memory queueing a task");
        for (size_t i = 0; i < ring->count; i++) jobs[i] = ring->jobs[(ring->head + i) % ring->capacity];
        free(ring->jobs);
        ring->jobs = jobs;
        ring->capacity = capacity;
        ring->head = 0;
    }
    ring->jobs[(ring->head + ring->count) % ring->capacity] = job;
    ring->count++;
}

static SwiftJob *ring_pop(Ring *ring) {
    if (ring->count == 0) return NULL;
    SwiftJob *job = ring->jobs[ring->head];
    ring->head = (ring->head + 1) % ring->capacity;
    ring->count--;
    return job;
}

/// Three bands, served strictly in order: user-initiated and above (speech
/// the user is waiting for), default and unspecified, utility and below.
enum { BANDS = 3 };

static int band_of(uint8_t priority) {
    if (priority >= 0x19) return 0;               // .high / .userInitiated, .userInteractive
    if (priority == 0 || priority >= 0x15) return 1;  // .medium / .default, unspecified
    return 2;                                     // .low / .utility, .background
}

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    Ring bands[BANDS];
    unsigned idle;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static SWIFTCC void pool_enqueue(SwiftJob *job) {
    int band = band_of(swift_concurrency_jobPriority(job));
    pthread_mutex_lock(&pool.lock);
    ring_push(&pool.bands[band], job);
    if (pool.idle > 0) pthread_cond_signal(&pool.work);
    pthread_mutex_unlock(&pool.lock);
}

static void *pool_worker(void *argument) {
    char name[16];
    snprintf(name, sizeof name, "herald-pool-%u", (unsigned)(uintptr_t)argument);
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
    for (;;) {
        SwiftJob *job = NULL;
        pthread_mutex_lock(&pool.lock);
        for (;;) {
            for (int band = 0; band < BANDS && job == NULL; band++) job = ring_pop(&pool.bands[band]);
            if (job != NULL) break;
            pool.idle++;
            pthread_cond_wait(&pool.work, &pool.lock);  // no timeout: an idle pool never wakes
            pool.idle--;
        }
        pthread_mutex_unlock(&pool.lock);
        swift_job_run(job, (SerialExecutorRef){NULL, 0});
    }
    return NULL;
}

// MARK: - The main thread

// libdispatch's hand-over of its main queue to a run loop on the main thread
// (CoreFoundation's CFRunLoop uses these): the queue signals the eventfd when
// it has work, and the callback runs that work on the calling thread.
extern int _dispatch_get_main_queue_handle_4CF(void);
extern void _dispatch_main_queue_callback_4CF(void *message);

static int main_stop = -1;

/// The main actor's executor in Swift 6.3 is libdispatch's main queue, and
/// the runtime hands it jobs directly (no hook). `dispatch_main` would park
/// the main thread and serve the queue from libdispatch's worker pool, which
/// is what Herald avoids; here the main thread serves it, as CFRunLoop does.
void herald_executor_run_main(void) {
    struct pollfd watched[2] = {
        {.fd = _dispatch_get_main_queue_handle_4CF(), .events = POLLIN},
        {.fd = main_stop, .events = POLLIN},
    };
    for (;;) {
        if (poll(watched, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll on the main queue failed");
        }
        if (watched[0].revents & POLLIN) {
            uint64_t count;
            (void)read(watched[0].fd, &count, sizeof count);
            _dispatch_main_queue_callback_4CF(NULL);
        }
        if (watched[1].revents & POLLIN) return;
    }
}

void herald_executor_stop_main(void) {
    uint64_t one = 1;
    (void)write(main_stop, &one, sizeof one);
}

// MARK: - The timer thread

typedef struct {
    uint64_t when;  // CLOCK_MONOTONIC, ns
    uint64_t id;
    SwiftJob *job;  // a delayed job, or
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
        if (due.job != NULL) {
            pool_enqueue(due.job);
        } else {
            due.fire(due.context);
        }
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
    timers.start_error = start_thread(timer_thread, NULL);
}

static uint64_t timer_add(uint64_t when, SwiftJob *job, void (*fire)(void *), void *context) {
    pthread_once(&timers.once, timers_start);
    if (timers.start_error != 0) return 0;
    pthread_mutex_lock(&timers.lock);
    if (timers.count == timers.capacity) {
        size_t capacity = timers.capacity ? timers.capacity * 2 : 32;
        Timer *heap = realloc(timers.heap, capacity * sizeof *heap);
        if (heap == NULL) die("out of memory scheduling a timer");
        timers.heap = heap;
        timers.capacity = capacity;
    }
    uint64_t id = ++timers.last_id;
    timers.heap[timers.count] = (Timer){when, id, job, fire, context};
    sift_up(timers.count++);
    if (timers.heap[0].id == id) pthread_cond_signal(&timers.changed);  // a new earliest deadline
    pthread_mutex_unlock(&timers.lock);
    return id;
}

uint64_t herald_timer_schedule(uint64_t deadline_ns, void (*fire)(void *), void *context) {
    return timer_add(deadline_ns, NULL, fire, context);
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

// MARK: - The hooks

static SWIFTCC void enqueue_global(SwiftJob *job, enqueue_original original) {
    (void)original;
    pool_enqueue(job);
}

static uint64_t after(uint64_t delay_ns) {
    uint64_t now = herald_monotonic_ns();
    return delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
}

static SWIFTCC void enqueue_global_with_delay(unsigned long long delay_ns, SwiftJob *job, delay_original original) {
    (void)original;
    if (timer_add(after(delay_ns), job, NULL, NULL) == 0) die("the timer thread could not start");
}

/// A deadline on one of Swift's clocks (continuous, suspending): the time left
/// is measured on that clock, then waited on CLOCK_MONOTONIC.
static SWIFTCC void enqueue_global_with_deadline(
    long long seconds, long long nanoseconds, long long tolerance_seconds, long long tolerance_nanoseconds,
    int clock, SwiftJob *job, deadline_original original) {
    (void)tolerance_seconds, (void)tolerance_nanoseconds, (void)original;
    long long now_seconds, now_nanoseconds;
    swift_get_time(&now_seconds, &now_nanoseconds, clock);
    long long left_seconds = seconds - now_seconds;
    uint64_t delay;
    if (left_seconds < 0 || (left_seconds == 0 && nanoseconds <= now_nanoseconds)) {
        delay = 0;
    } else if (left_seconds > 1000000000LL) {
        delay = UINT64_MAX;  // 30 years: never, in practice
    } else {
        delay = (uint64_t)(left_seconds * 1000000000LL + (nanoseconds - now_nanoseconds));
    }
    if (timer_add(after(delay), job, NULL, NULL) == 0) die("the timer thread could not start");
}

int herald_executor_install(unsigned workers) {
    if (workers == 0) workers = 1;
    main_stop = eventfd(0, EFD_CLOEXEC);
    if (main_stop < 0) return errno;
    pthread_once(&timers.once, timers_start);
    if (timers.start_error != 0) return timers.start_error;
    for (unsigned i = 1; i <= workers; i++) {
        int error = start_thread(pool_worker, (void *)(uintptr_t)i);
        if (error != 0) {
            // The threads already started only ever wait: without the hooks no job reaches them.
            return error;
        }
    }
    swift_task_enqueueGlobal_hook = enqueue_global;
    swift_task_enqueueGlobalWithDelay_hook = enqueue_global_with_delay;
    swift_task_enqueueGlobalWithDeadline_hook = enqueue_global_with_deadline;
    return 0;
}
