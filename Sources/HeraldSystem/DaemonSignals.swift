internal import Glibc

/// The signals a daemon acts on (SIGTERM and SIGINT stop it, SIGHUP reloads
/// it), taken by a thread of their own from the first line of `main`.
///
/// Why not signal handlers, or swift-service-lifecycle's signal sources: the
/// signals are blocked before any other thread exists, so one that arrives
/// while the daemon is still starting waits to be read instead of killing it
/// (their default action), and no libdispatch thread is started to deliver
/// them (see `GlobalExecutor`).
public final class DaemonSignals: Sendable {
    /// Each signal as it arrives; one reader. Signals that come before anyone
    /// reads are kept.
    public let arrivals: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let set: sigset_t

    private init(set: sigset_t) {
        (arrivals, continuation) = AsyncStream.makeStream()
        self.set = set
    }

    /// Blocks `signals` in the calling thread, which every thread it starts
    /// later inherits, and starts the thread that waits for them. Call it
    /// before any other thread starts; children started with `posix_spawn`
    /// must reset their signal mask (Herald's do).
    public static func block(_ signals: [Int32]) -> DaemonSignals {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waiter = DaemonSignals(set: set)
        let started = startDetachedThread(named: "herald-signals") { waiter.waitForever() }
        precondition(started, "DaemonSignals: cannot start the thread that takes signals")
        return waiter
    }

    private func waitForever() -> Never {
        var set = self.set
        while true {
            var signal: Int32 = 0
            if sigwait(&set, &signal) == 0 { continuation.yield(signal) }
        }
    }
}
