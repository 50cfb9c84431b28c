internal import FoundationEssentials
internal import Glibc

/// Reads what the user asked to hear: UTF-8, or Latin-1 when it is not;
/// refuses directories, binary data and files too large for one message.
enum TextInput {
    /// `path`, or standard input for `-`.
    static func read(file path: String, limit: Int) throws(CLIError) -> String {
        if path == "-" {
            return try read(descriptor: STDIN_FILENO, name: "standard input", limit: limit)
        }
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("cannot read \(path): no such file")
        }
        guard !isDirectory else { throw CLIError("\(path) is a directory; give a text file") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CLIError("cannot read \(path): permission denied; check its permissions (ls -l)")
        }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, name: path, limit: limit)
    }

    /// Reads `descriptor` with read(2) (FoundationEssentials has no
    /// FileHandle, and `herald` links no more of Foundation).
    static func read(descriptor: Int32, name: String, limit: Int) throws(CLIError) -> String {
        // One read may return less than asked (a pipe, a large file): read to
        // the end or to just past the limit.
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while data.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, min($0.count, limit + 1 - data.count)) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw CLIError("cannot read \(name): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        guard data.count <= limit else {
            throw CLIError("\(name) is larger than \(limit >> 20) MiB, more than Herald reads at once; split it")
        }
        guard !looksBinary(data) else { throw CLIError("\(name) is not text (it holds binary data); give a text file") }
        if let text = String(data: data, encoding: .utf8) { return text }
        if let text = String(data: data, encoding: .isoLatin1) { return text }
        throw CLIError("\(name) is neither UTF-8 nor Latin-1 text")
    }

    /// NUL bytes, or more than one in a hundred of the first 64 KiB being
    /// control characters that text does not use: an image, an archive, a
    /// program. (Latin-1 accepts any byte, so decoding alone proves nothing.)
    static func looksBinary(_ data: Data) -> Bool {
        if data.contains(0) { return true }
        let sample = data.prefix(64 << 10)
        let controls = sample.reduce(0) { count, byte in
            let textual = byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D || byte == 0x1B
            return count + ((byte < 0x20 && !textual) || byte == 0x7F ? 1 : 0)
        }
        return controls * 100 > sample.count
    }
}
