internal import CHeraldExecutor
internal import Glibc

/// Swift concurrency's global executor on Herald's own threads, for heraldd.
///
/// Why: the default global executor on Linux is libdispatch's worker pool, and
/// once libdispatch has run one worker it keeps a one-second timer for the
/// life of the process (`_dispatch_workq_monitor_pools`), so a daemon with
/// nothing to say still wakes every second. A speech service idles most of the
/// day. Herald's pool threads wait on a condition variable with no timeout,
/// and its timer thread waits only for the next deadline, so an idle heraldd
/// is not woken at all.
///
/// How: the runtime's global-enqueue hooks, the mechanism swift-nio's
/// `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`
/// uses; Swift 6.3's replacement for them (`ExecutorFactory`) is still
/// experimental SPI. `Task.sleep` in Swift 6.3 bypasses the hooks and goes to
/// libdispatch directly, so the daemon sleeps with `Sleep` instead.
public enum GlobalExecutor {
    /// The pool could not start its threads.
    public struct InstallError: Error, CustomStringConvertible {
        public let errno: Int32
        public var description: String {
            "could not start the task threads: \(String(cString: strerror(errno)))"
        }
    }

    /// Installs the pool: one thread per CPU (at least two, so a task never
    /// waits behind a long one). Call once from `main`, before any task exists.
    public static func install() throws(InstallError) {
        let workers = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let error = herald_executor_install(UInt32(clamping: workers))
        guard error == 0 else { throw InstallError(errno: error) }
    }

    /// Runs `body` as a task and blocks the calling thread until it ends: a
    /// synchronous `main` that never lends its thread to the main actor (whose
    /// executor is libdispatch's main queue).
    public static func runBlocking<Result: Sendable>(
        _ body: @escaping @Sendable () async throws -> Result
    ) throws -> Result {
        let outcome = Locked<Swift.Result<Result, any Error>?>(nil)
        let finished = OneShotGate()
        Task.detached {
            let result: Swift.Result<Result, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            finished.open()
        }
        finished.wait()
        return try outcome.withLock { $0! }.get()
    }
}

/// A gate a thread waits at until another opens it, once.
final class OneShotGate: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var isOpen = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func open() {
        pthread_mutex_lock(&mutex)
        isOpen = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func wait() {
        pthread_mutex_lock(&mutex)
        while !isOpen { pthread_cond_wait(&condition, &mutex) }
        pthread_mutex_unlock(&mutex)
    }
}
