internal import HeraldSystem

/// An instant set on one thread and read on another, behind a lock. Shared in
/// `HeraldTesting` for latency measurements across threads (a stop called from
/// one thread, observed on another).
public final class TimeMark: Sendable {
    private let instant = Locked<ContinuousClock.Instant?>(nil)

    public init() {}

    public func mark() { instant.withLock { $0 = .now } }
    public var value: ContinuousClock.Instant? { instant.withLock { $0 } }
}
