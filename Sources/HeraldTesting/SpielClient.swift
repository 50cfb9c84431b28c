internal import Foundation
public import HeraldDBus
internal import Synchronization
internal import HeraldSystem

/// A Spiel client as libspiel behaves: it makes a pipe, sends the write end
/// with `Synthesize`, closes its own copy of the write end, and reads the
/// stream from the read end at its own pace.
///
/// Reads never block a thread: the read end is non-blocking and an empty
/// pipe is waited on with short sleeps, since the provider under test may
/// need the few threads of Swift's cooperative pool (two here) to write.
public struct SpielClient: Sendable {
    public static let interface = "org.freedesktop.Speech.Provider"

    public let connection: DBusConnection
    public let destination: String
    public let path: String

    public init(
        connection: DBusConnection, destination: String = "org.herald.Speech.Provider",
        path: String = "/org/herald/Speech/Provider"
    ) {
        self.connection = connection
        self.destination = destination
        self.path = path
    }

    /// One entry of `Voices`.
    public struct Voice: Sendable, Equatable {
        public let name: String
        public let id: String
        public let outputFormat: String
        public let features: UInt64
        public let languages: [String]

        /// `rate=` of the output format, e.g. 22050.
        public var rate: Int? {
            outputFormat.split(separator: ",").first { $0.hasPrefix("rate=") }.flatMap { Int($0.dropFirst(5)) }
        }

        /// Decodes one `(ssstas)`.
        public init?(_ value: DBusValue) {
            guard let fields = value.structFields, fields.count == 5, let name = fields[0].string, let id = fields[1].string,
                let format = fields[2].string, let features = fields[3].uint64, let languages = fields[4].stringArray
            else { return nil }
            self.name = name
            self.id = id
            self.outputFormat = format
            self.features = features
            self.languages = languages
        }
    }

    /// `Synthesize` with a new pipe; returns the read end once the provider
    /// replied. The client's write end is closed whether the call succeeded or not.
    public func synthesize(
        _ text: String, voice: String, pitch: Double = 1, rate: Double = 1, ssml: Bool = false, language: String = "",
        timeout: Duration = .seconds(10)
    ) async throws -> SpielPipeReader {
        let (readEnd, writeEnd) = try Self.makePipe()
        let reader = SpielPipeReader(fd: readEnd)
        defer { close(writeEnd) }
        try await synthesize(
            arguments: [
                .unixFD(DBusUnixFD(borrowing: writeEnd)), .string(text), .string(voice), .double(pitch), .double(rate),
                .bool(ssml), .string(language),
            ], timeout: timeout)
        return reader
    }

    /// `Synthesize` with arguments exactly as given, for malformed calls.
    public func synthesize(arguments: [DBusValue], timeout: Duration = .seconds(10)) async throws(DBusError) {
        let reply = try await connection.call(
            destination: destination, path: path, interface: Self.interface, method: "Synthesize", arguments: arguments,
            timeout: timeout.timingScaled)
        guard reply.isEmpty else { throw DBusError.failed("Synthesize replied \(reply); it has no return value") }
    }

    public func voices() async throws -> [Voice] {
        let value = try await property("Voices")
        guard let items = value.array else { throw DBusError.failed("Voices is \(value), not a(ssstas)") }
        return try items.map { item in
            guard let voice = Voice(item) else { throw DBusError.failed("a voice is \(item), not (ssstas)") }
            return voice
        }
    }

    public func property(_ name: String) async throws(DBusError) -> DBusValue {
        let reply = try await connection.call(
            destination: destination, path: path, interface: "org.freedesktop.DBus.Properties", method: "Get",
            arguments: [.string(Self.interface), .string(name)])
        guard let value = reply.first else { throw DBusError.failed("Get(\(name)) gave no value") }
        return value.unwrapped
    }

    /// A pipe with both ends close-on-exec (children of the test process must
    /// not hold the write end) and the read end non-blocking.
    public static func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }
}

/// The read end of one request's pipe. Closed by `close()` or when released.
public final class SpielPipeReader: Sendable {
    private let descriptor: Locked<Int32?>
    private let received = Locked<[UInt8]>([])
    private let endOfFile = Atomic<Bool>(false)

    init(fd: Int32) {
        descriptor = Locked(fd)
    }

    deinit { close() }

    /// The bytes read so far.
    public var bytes: [UInt8] { received.withLock { $0 } }
    /// True once the provider closed its end and everything was read.
    public var reachedEnd: Bool { endOfFile.load(ordering: .relaxed) }
    public var content: SpielStreamContent { SpielStreamContent.decode(bytes) }

    /// Reads until the end of the stream or `timeout`; true when the end was reached.
    @discardableResult
    public func readToEnd(timeout: Duration = .seconds(30)) async -> Bool {
        await read(until: { _ in false }, timeout: timeout)
        return reachedEnd
    }

    /// Reads until at least `count` bytes have arrived, the end, or `timeout`.
    public func read(atLeast count: Int, timeout: Duration = .seconds(10)) async {
        await read(until: { $0 >= count }, timeout: timeout)
    }

    private func read(until enough: (Int) -> Bool, timeout: Duration) async {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !reachedEnd, !enough(received.withLock { $0.count }), ContinuousClock.now < deadline {
            guard let fd = descriptor.withLock({ $0 }) else { return }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                received.withLock { $0 += buffer[0..<count] }
            } else if count == 0 {
                endOfFile.store(true, ordering: .relaxed)
            } else if errno == EAGAIN || errno == EINTR {
                try? await Task.sleep(for: .milliseconds(1))
            } else {
                return
            }
        }
    }

    /// Closes the read end: the provider sees EPIPE, as when a client cancels.
    public func close() {
        if let fd = descriptor.withLock({ fd in defer { fd = nil }; return fd }) { _ = Glibc.close(fd) }
    }
}
