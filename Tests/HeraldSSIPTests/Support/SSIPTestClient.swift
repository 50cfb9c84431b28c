import Foundation
import Synchronization

/// A raw SSIP connection for tests: sends bytes exactly as given and reads
/// replies line by line. Non-blocking, and every read waits with a deadline
/// (sleeping between polls), so a silent server fails a test instead of
/// hanging it or holding a thread of the concurrency pool.
final class SSIPTestClient: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Event lines (7xx) read while waiting for replies, in arrival order, grouped per event.
    private(set) var events: [[String]] = []
    private var closed = false

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "connect(\(path)): \(message)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Sends `bytes` as they are (no line ending added).
    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK, ContinuousClock.now < deadline {
                usleep(1000)
            } else {
                throw Failure(
                    description:
                        "send failed after \(offset) of \(bytes.count) bytes: \(String(cString: strerror(errno)))")
            }
        }
    }

    func send(_ text: String, ending: String = "\r\n") throws { try sendRaw(Array((text + ending).utf8)) }

    /// The next line from the server (CRLF removed), or nil when the server
    /// closed the connection; throws after `timeout`.
    func readLine(timeout: Duration = .seconds(5)) async throws -> String? {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while true {
            if let index = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<index])
                buffer.removeSubrange(...index)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                continue
            }
            if count == 0 { return nil }
            guard errno == EAGAIN || errno == EWOULDBLOCK else {
                if errno == ECONNRESET { return nil }
                throw Failure(description: "recv: \(String(cString: strerror(errno)))")
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "no line from the server within \(timeout) (have \(buffer.count) bytes)")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The next complete reply or event (data lines and final line), or nil on close.
    func readMessage(timeout: Duration = .seconds(5)) async throws -> [String]? {
        var lines: [String] = []
        while true {
            guard let line = try await readLine(timeout: timeout) else { return lines.isEmpty ? nil : lines }
            lines.append(line)
            let characters = Array(line)
            if characters.count >= 4, characters[3] == " " { return lines }
            if characters.count < 4 || characters[3] != "-" {
                throw Failure(description: "malformed line from the server: \(line.debugDescription)")
            }
        }
    }

    /// The next reply that is not an event; events read meanwhile go to `events`.
    func readReply(timeout: Duration = .seconds(5)) async throws -> [String] {
        while true {
            guard let message = try await readMessage(timeout: timeout) else {
                throw Failure(description: "the server closed the connection")
            }
            if message.last?.hasPrefix("7") == true { events.append(message) } else { return message }
        }
    }

    /// Records an event read with `readMessage`.
    func appendEvent(_ event: [String]) { events.append(event) }

    /// Sends a command and returns its reply.
    func command(_ line: String, timeout: Duration = .seconds(5)) async throws -> [String] {
        try send(line)
        return try await readReply(timeout: timeout)
    }

    /// Waits for an event whose final line starts with `code` for message `id`.
    func waitForEvent(_ code: Int, id: UInt64, timeout: Duration = .seconds(10)) async throws -> [String] {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while true {
            if let index = events.firstIndex(where: { $0.first == "\(code)-\(id)" }) { return events[index] }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw Failure(description: "no \(code) event for message \(id) within \(timeout); events: \(events)")
            }
            guard let message = try await readMessage(timeout: left) else {
                throw Failure(description: "the server closed the connection while waiting for \(code)")
            }
            events.append(message)
        }
    }

    /// True if the server closes the connection within `timeout` (reading and dropping what comes).
    func closedByServer(within timeout: Duration) async -> Bool {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                if try await readLine(timeout: deadline - ContinuousClock.now) == nil { return true }
            } catch {
                return false
            }
        }
        return false
    }

    /// Speaks `text` (one data line) and returns the message id.
    func speak(_ text: String) async throws -> UInt64 {
        let start = try await command("SPEAK")
        guard start == ["230 OK RECEIVING DATA"] else { throw Failure(description: "SPEAK answered \(start)") }
        try send(text + "\r\n.")
        let reply = try await readReply()
        guard reply.count == 2, reply[1] == "225 OK MESSAGE QUEUED", let id = UInt64(reply[0].dropFirst(4)) else {
            throw Failure(description: "the message was not queued: \(reply)")
        }
        return id
    }
}
