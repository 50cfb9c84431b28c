internal import CHeraldExecutor
internal import HeraldSystem
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

    /// Lets SIGTERM, SIGINT and SIGHUP act again in a process that is not the
    /// daemon after all: this library blocks them as heraldd loads, before
    /// `main`, so none sent during start-up is lost (`DaemonSignals` reads
    /// them); `herald`, the same binary by another name, calls this first.
    public static func releaseDaemonSignals() {
        herald_unblock_daemon_signals()
    }

    /// Installs the pool: one thread per CPU (at least two, so a task never
    /// waits behind a long one). Call once from `main`, before any task exists.
    public static func install() throws(InstallError) {
        let workers = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let error = herald_executor_install(UInt32(clamping: workers))
        guard error == 0 else { throw InstallError(errno: error) }
    }

    /// Runs `body` as a task, and serves the main actor on the calling (main)
    /// thread until it ends: heraldd's `main`. The main actor's executor is
    /// libdispatch's main queue, which `dispatch_main` would serve from the
    /// worker pool; this thread serves it instead, as CFRunLoop does, so
    /// `@MainActor` code in any library still runs, on the main thread.
    public static func runBlocking<Result: Sendable>(
        _ body: @escaping @Sendable () async throws -> Result
    ) throws -> Result {
        let outcome = Locked<Swift.Result<Result, any Error>?>(nil)
        Task.detached {
            let result: Swift.Result<Result, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            herald_executor_stop_main()
        }
        herald_executor_run_main()
        return try outcome.withLock { $0! }.get()
    }
}
