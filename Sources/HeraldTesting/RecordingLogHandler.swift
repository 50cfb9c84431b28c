public import Logging
internal import HeraldSystem

/// A swift-log handler that keeps what was logged, to check what a component says.
///
/// Use with `Logger(label:factory:)`; no global bootstrap, so tests in one
/// process do not see each other's logs. Shared in `HeraldTesting` because
/// what components log (once per outage, never spoken text) is tested everywhere.
public struct RecordingLogHandler: LogHandler {
    public struct Entry: Sendable, CustomStringConvertible {
        public let level: Logger.Level
        public let message: String
        /// The event's metadata with the handler's, rendered as text.
        public var metadata: [String: String] = [:]

        /// The whole line as a log file would show it, for "never logged" checks.
        public var description: String {
            "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    public final class Store: Sendable {
        private let entries = Locked<[Entry]>([])
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
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.append(
            Entry(
                level: event.level, message: event.message.description,
                metadata: merged.mapValues { "\($0)" }))
    }

    /// A logger that records into a fresh store.
    public static func logger(label: String = "test") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in RecordingLogHandler(store: store) }, store)
    }
}
