import Synchronization

/// An instant set on one thread and read on another (a `Mutex` cannot be captured by a closure).
///
/// Candidate for `HeraldTesting`.
final class TimeMark: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)

    func mark() { instant.withLock { $0 = .now } }
    var value: ContinuousClock.Instant? { instant.withLock { $0 } }
}

/// CPU time (user + system) the whole process has used so far.
func processCPUTime() -> Duration {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micros)
}

#if canImport(Glibc)
    import Glibc
#endif
