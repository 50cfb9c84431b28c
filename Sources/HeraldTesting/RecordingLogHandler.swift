public import Logging
internal import Synchronization

/// A swift-log handler that keeps what was logged, to check what a component says.
///
/// Use with `Logger(label:factory:)`; no global bootstrap, so tests in one
/// process do not see each other's logs. Shared in `HeraldTesting` because
/// what components log (once per outage, never spoken text) is tested everywhere.
public struct RecordingLogHandler: LogHandler {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
    }

    public final class Store: Sendable {
        private let entries = Mutex<[Entry]>([])
        public init() {}
        public func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
        public var all: [Entry] { entries.withLock { $0 } }
    }

    public let store: Store
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(store: Store) {
        self.store = store
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        store.append(Entry(level: event.level, message: event.message.description))
    }

    /// A logger that records into a fresh store.
    public static func logger(label: String = "test") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in RecordingLogHandler(store: store) }, store)
    }
}
