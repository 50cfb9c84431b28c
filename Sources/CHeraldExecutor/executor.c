#define _GNU_SOURCE
#include "herald_executor.h"
#include "herald_timer.h"

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

// MARK: - The hooks

static SWIFTCC void enqueue_global(SwiftJob *job, enqueue_original original) {
    (void)original;
    pool_enqueue(job);
}

/// A delayed job's timer: the job goes to the pool when it fires.
static void enqueue_when_due(void *job) { pool_enqueue(job); }

static uint64_t after(uint64_t delay_ns) {
    uint64_t now = herald_monotonic_ns();
    return delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
}

static SWIFTCC void enqueue_global_with_delay(unsigned long long delay_ns, SwiftJob *job, delay_original original) {
    (void)original;
    if (herald_timer_schedule(after(delay_ns), enqueue_when_due, job) == 0) die("the timer thread could not start");
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
    if (herald_timer_schedule(after(delay), enqueue_when_due, job) == 0) die("the timer thread could not start");
}

int herald_executor_install(unsigned workers) {
    if (workers == 0) workers = 1;
    main_stop = eventfd(0, EFD_CLOEXEC);
    if (main_stop < 0) return errno;
    int timer_error = herald_timer_start();  // delayed jobs wait on it
    if (timer_error != 0) return timer_error;
    for (unsigned i = 1; i <= workers; i++) {
        int error = herald_thread_start(pool_worker, (void *)(uintptr_t)i);
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

// heraldd blocks the signals it acts on (SIGTERM, SIGINT stop it; SIGHUP
// reloads it) before the Swift runtime starts, while the program is still
// loading: one sent then (`systemctl --user reload` right after a start, or
// a stop) waits for DaemonSignals to read it instead of killing the process
// by its default action. Threads inherit the mask; Spawn resets it for
// children; `herald` (the same binary by another name) unblocks them first.
__attribute__((constructor)) static void herald_block_daemon_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void herald_unblock_daemon_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
