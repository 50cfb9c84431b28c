internal import CHeraldTimer

/// Sleeping for the daemon: `Task.sleep`'s behaviour (throws
/// `CancellationError` at once when the task is cancelled) on Herald's timer
/// thread, which waits only until the next deadline.
///
/// Why not `Task.sleep`: in Swift 6.3 it schedules the wake-up with
/// libdispatch even when `GlobalExecutor` is installed, and the first one
/// starts libdispatch's worker pool and its once-a-second timer for good.
public enum Sleep {
    /// Sleeps until `deadline`. The time left is waited on CLOCK_MONOTONIC
    /// (a condition variable cannot wait on the continuous clock), which
    /// stops while the machine is suspended, so across a suspend the sleep
    /// ends that much later; the daemon's sleeps are watchdogs and grace
    /// periods, for which later is harmless.
    public static func until(_ deadline: ContinuousClock.Instant) async throws(CancellationError) {
        try await self.for(ContinuousClock.now.duration(to: deadline))
    }

    /// Sleeps for `duration`; a zero or negative one still suspends once.
    public static func `for`(_ duration: Duration) async throws(CancellationError) {
        let deadline = saturatingDeadline(after: duration)
        let sleeper = Sleeper()
        let finished: Bool = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                sleeper.start(deadline: deadline, continuation: continuation)
            }
        } onCancel: {
            sleeper.cancel()
        }
        if !finished { throw CancellationError() }
    }
}

/// CLOCK_MONOTONIC `duration` from now, in nanoseconds; a duration too long
/// to count is "never".
private func saturatingDeadline(after duration: Duration) -> UInt64 {
    let (deadline, overflow) = herald_monotonic_ns().addingReportingOverflow(UInt64(max(0, duration.wholeNanoseconds)))
    return overflow ? .max : deadline
}

/// One sleep: its continuation is resumed exactly once, by the timer (true)
/// or by cancellation (false), whichever comes first.
private final class Sleeper: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, Never>?
        var timer: UInt64 = 0
        var cancelled = false
    }
    private let state = Locked(State())

    func start(deadline: UInt64, continuation: CheckedContinuation<Bool, Never>) {
        let alreadyCancelled = state.withLock { state in
            if state.cancelled { return true }
            state.continuation = continuation
            return false
        }
        if alreadyCancelled {
            continuation.resume(returning: false)
            return
        }
        // The timer holds a reference until it fires or is cancelled.
        let context = Unmanaged.passRetained(self).toOpaque()
        let timer = herald_timer_schedule(deadline, { context in
            Unmanaged<Sleeper>.fromOpaque(context!).takeRetainedValue().finish(true)
        }, context)
        if timer == 0 {
            Unmanaged<Sleeper>.fromOpaque(context).release()
            finish(true)  // no timer thread: wake at once rather than never
            return
        }
        let cancelledMeanwhile = state.withLock { state in
            state.timer = timer
            return state.cancelled
        }
        if cancelledMeanwhile { cancel() }
    }

    func cancel() {
        let timer = state.withLock { state in
            state.cancelled = true
            return state.timer
        }
        if timer != 0, herald_timer_cancel(timer) == 1 {
            Unmanaged.passUnretained(self).release()
            finish(false)
        } else if timer == 0 {
            finish(false)  // not scheduled yet (or never will be): start() sees `cancelled`
        }
    }

    private func finish(_ elapsed: Bool) {
        let continuation = state.withLock { state in
            let continuation = state.continuation
            state.continuation = nil
            return continuation
        }
        continuation?.resume(returning: elapsed)
    }
}
