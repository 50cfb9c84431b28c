import HeraldDBus
import HeraldSystem
import HeraldTesting
import Testing

/// One client connection to `org.herald.Speech1`, as an application holds it.
struct SpeechClient: Sendable {
    let connection: DBusConnection

    var uniqueName: String { connection.uniqueName }

    @discardableResult
    func call(_ method: String, _ arguments: [DBusValue] = [], timeout: Duration = .seconds(10)) async throws(DBusError)
        -> [DBusValue]
    {
        try await connection.call(
            destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
            interface: HeraldDaemonProcess.interface, method: method, arguments: arguments, timeout: timeout.timingScaled)
    }

    /// `Speak`, returning the message id.
    func speak(_ text: String, _ priority: String = "message", _ options: [String: DBusValue] = [:]) async throws(DBusError)
        -> UInt64
    {
        let reply = try await call("Speak", [.string(text), .string(priority), .dictionary(options)])
        guard reply.count == 1, let id = reply[0].uint64 else { throw .failed("Speak replied \(reply), not (t)") }
        return id
    }

    /// `GetStatus` as a plain dictionary (variants unwrapped).
    func status() async throws(DBusError) -> [String: DBusValue] {
        let reply = try await call("GetStatus")
        guard reply.count == 1, let status = reply[0].dictionary else { throw .failed("GetStatus replied \(reply), not (a{sv})") }
        return status.mapValues(\.unwrapped)
    }

    /// The daemon's signals from now on, recorded with their arrival times.
    func signalLog() async throws(DBusError) -> SpeechSignalLog {
        try await SpeechSignalLog(connection: connection)
    }

    func close() async { await connection.close() }
}

/// The daemon's signals as one client receives them, in order, each with
/// the time it arrived, so a test can wait for one (always with a limit)
/// and then check the sequence.
final class SpeechSignalLog: Sendable {
    struct Entry: Sendable, CustomStringConvertible {
        let member: String
        let id: UInt64
        /// The second argument: the mark of IndexMark, the reason of Failed.
        let detail: String?
        /// The offsets of Range and SentenceRange.
        let span: Range<Int>?
        let at: ContinuousClock.Instant

        var description: String { detail.map { "\(member)(\(id), \($0))" } ?? "\(member)(\(id))" }
    }

    static let finalMembers: Set<String> = ["Ended", "Canceled", "Failed"]

    private let entries: Entries
    private let reader: Task<Void, Never>

    private final class Entries: Sendable {
        let list = Locked<[Entry]>([])
    }

    init(connection: DBusConnection) async throws(DBusError) {
        let signals = try await connection.signals(
            matching: DBusMatchRule(
                sender: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
                interface: HeraldDaemonProcess.interface))
        let entries = Entries()
        self.entries = entries
        reader = Task {
            for await signal in signals {
                guard let id = signal.arguments.first?.uint64 else {
                    Issue.record("signal \(signal.member) without a message id: \(signal.arguments)")
                    continue
                }
                let numbers = signal.arguments.dropFirst().compactMap(\.uint32).map(Int.init)
                let entry = Entry(
                    member: signal.member, id: id, detail: signal.arguments.dropFirst().first?.string,
                    span: numbers.count == 2 && numbers[0] <= numbers[1] ? numbers[0]..<numbers[1] : nil, at: .now)
                entries.list.withLock { $0.append(entry) }
            }
        }
    }

    deinit { reader.cancel() }

    var all: [Entry] { entries.list.withLock { $0 } }

    /// The signals for message `id`, in order, e.g. `["Began", "IndexMark(one)", "Ended"]`;
    /// without `Range` and `SentenceRange`, which come with every word and sentence (`spans`).
    func sequence(for id: UInt64) -> [String] {
        all.filter { $0.id == id && !Self.rangeMembers.contains($0.member) }.map { entry in
            entry.detail.map { "\(entry.member)(\($0))" } ?? entry.member
        }
    }

    static let rangeMembers: Set<String> = ["Range", "SentenceRange"]

    /// The spans of `member` (`Range`, `SentenceRange`) for `id`, in order.
    func spans(_ member: String, of id: UInt64) -> [Range<Int>] {
        all.filter { $0.id == id && $0.member == member }.compactMap(\.span)
    }

    /// Waits up to `timeout` until message `id` has more than `count` signals named `member`.
    func wait(for id: UInt64, _ member: String, beyond count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout.timingScaled
        while all.filter({ $0.id == id && $0.member == member }).count <= count {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    func first(_ id: UInt64, _ members: Set<String>) -> Entry? {
        all.first { $0.id == id && members.contains($0.member) }
    }

    /// Waits up to `timeout` for a signal named one of `members` for `id`.
    func wait(for id: UInt64, _ members: Set<String>, timeout: Duration) async -> Entry? {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while true {
            if let entry = first(id, members) { return entry }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits up to `timeout` for the signal that ends message `id`.
    func waitForEnd(of id: UInt64, timeout: Duration) async -> Entry? {
        await wait(for: id, Self.finalMembers, timeout: timeout)
    }
}

/// Checks an error reply the way a person meets it: Herald's own error name,
/// and a message of one readable line that never repeats the spoken text.
func expectHeraldError(
    _ error: DBusError?, _ kind: String, mentioning words: [String] = [], notQuoting text: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else {
        Issue.record("expected org.herald.Speech1.Error.\(kind), got a normal reply", sourceLocation: sourceLocation)
        return
    }
    #expect(error.name == HeraldDaemonProcess.errorPrefix + kind, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.count >= 10 && error.message.count <= 300, "not a readable message: \(error)", sourceLocation: sourceLocation)
    #expect(!error.message.contains("\n"), "not one line: \(error)", sourceLocation: sourceLocation)
    for word in words {
        #expect(error.message.localizedCaseInsensitiveContains(word), "\(error) does not mention \(word)", sourceLocation: sourceLocation)
    }
    if let text, text.count >= 8 {
        #expect(!error.message.contains(text), "the error quotes the spoken text: \(error)", sourceLocation: sourceLocation)
    }
}
