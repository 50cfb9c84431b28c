internal import CHeraldSystem

/// Tells ThreadSanitizer about a hand-over it cannot see by itself; does
/// nothing in a build without ThreadSanitizer.
///
/// Such a hand-over is a continuation that one of Herald's own threads
/// resumes before the awaiting task has reached its `await`: the D-Bus
/// dispatch thread does so with replies and, through an `AsyncStream`, with
/// signals. The Swift runtime (6.3) tells ThreadSanitizer that a resume
/// happens before the task runs again only when the task was already
/// suspended; `swift_continuation_await` that finds the continuation resumed
/// goes on at once, with an acquire that ThreadSanitizer does not see (the
/// runtime is not instrumented). So what the resuming thread made, a D-Bus
/// reply for one, is reported as raced by the first task that reads it,
/// though the runtime's own atomics order it. (The audio thread hands back
/// plain values, so nothing it made is read that way.)
///
/// `release` on the resuming thread just before the resume and `acquire` in
/// the task just after the `await`, on the same object, give ThreadSanitizer
/// that edge and nothing more.
public enum ThreadSanitizer {
    /// On the thread that hands `object` over, just before it does.
    public static func release(_ object: AnyObject) {
        herald_tsan_release(Unmanaged.passUnretained(object).toOpaque())
    }

    /// On the thread that takes `object` over, before it uses it.
    public static func acquire(_ object: AnyObject) {
        herald_tsan_acquire(Unmanaged.passUnretained(object).toOpaque())
    }
}
