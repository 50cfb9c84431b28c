public import HeraldCore
internal import HeraldSystem

/// Records a scheduler's event stream with the time each event arrived, so a
/// test can wait for an event (always with a time limit) and then check the
/// whole sequence and its timing.
///
/// Shared in `HeraldTesting` because every front end's tests (daemon, D-Bus,
/// SSIP) check the same events.
public final class SpeechEventLog: Sendable {
    /// One event and when this log received it.
    public struct Entry: Sendable {
        public let event: SpeechEvent
        public let at: ContinuousClock.Instant
    }

    private let entries: Locked<[Entry]>
    private let reader: Locked<Task<Void, Never>?>

    /// Starts reading `events` (e.g. `await scheduler.events()`) until the
    /// stream finishes or the log goes away.
    public init(_ events: AsyncStream<SpeechEvent>) {
        entries = Locked([])
        reader = Locked(nil)
        let task = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                self.entries.withLock { $0.append(Entry(event: event, at: .now)) }
            }
        }
        reader.withLock { $0 = task }
    }

    deinit {
        reader.withLock { $0?.cancel() }
    }

    /// Everything received so far, in order.
    public var all: [Entry] { entries.withLock { $0 } }

    /// The kinds of the events for message `id`, in order.
    public func kinds(for id: UtteranceID) -> [SpeechEventKind] {
        all.filter { $0.event.id == id }.map(\.event.kind)
    }

    /// The first event for `id` that `matches`, if it came.
    public func first(_ id: UtteranceID, _ matches: (SpeechEventKind) -> Bool) -> Entry? {
        all.first { $0.event.id == id && matches($0.event.kind) }
    }

    /// Waits until an event for `id` that `matches` has come, or `timeout`
    /// has passed; returns that event's entry, or nil on timeout.
    public func wait(
        for id: UtteranceID, timeout: Duration, _ matches: @escaping (SpeechEventKind) -> Bool
    ) async -> Entry? {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while true {
            if let entry = first(id, matches) { return entry }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Drops what was recorded for `id`, so a long run's log stays small.
    public func forget(_ id: UtteranceID) {
        entries.withLock { $0.removeAll { $0.event.id == id } }
    }

    /// Waits up to `timeout` for the event that ends message `id` (`ended`,
    /// `canceled` or `failed`).
    public func waitForEnd(of id: UtteranceID, timeout: Duration) async -> Entry? {
        await wait(for: id, timeout: timeout) { $0.isFinal }
    }
}

extension SpeechEventKind {
    /// True for the events that end a message: exactly one comes per message.
    public var isFinal: Bool {
        switch self {
        case .ended, .canceled, .failed: true
        default: false
        }
    }
}
