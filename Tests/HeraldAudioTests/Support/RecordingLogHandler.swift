import Logging
import Synchronization

/// A swift-log handler that keeps what was logged, to check what a component says.
///
/// Use with `Logger(label:factory:)`; no global bootstrap. Candidate for `HeraldTesting`.
struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
    }

    final class Store: Sendable {
        private let entries = Mutex<[Entry]>([])
        func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
        var all: [Entry] { entries.withLock { $0 } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(Entry(level: event.level, message: event.message.description))
    }

    /// A logger that records into a fresh store.
    static func logger(label: String = "test") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in RecordingLogHandler(store: store) }, store)
    }
}
