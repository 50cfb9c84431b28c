internal import Synchronization

/// An instant set on one thread and read on another (a `Mutex` cannot be
/// captured by a closure). Shared in `HeraldTesting` for latency measurements
/// across threads (a stop called from one thread, observed on another).
public final class TimeMark: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    public func mark() { instant.withLock { $0 = .now } }
    public var value: ContinuousClock.Instant? { instant.withLock { $0 } }
}
