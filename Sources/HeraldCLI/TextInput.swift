internal import Foundation

/// Reads what the user asked to hear: UTF-8, or Latin-1 when it is not;
/// refuses directories, binary data and files too large for one message.
enum TextInput {
    /// `path`, or standard input for `-`.
    static func read(file path: String, limit: Int) throws(CLIError) -> String {
        if path == "-" {
            return try read(handle: FileHandle.standardInput, name: "standard input", limit: limit)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("cannot read \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw CLIError("\(path) is a directory; give a text file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("cannot read \(path): permission denied; check its permissions (ls -l)")
        }
        defer { try? handle.close() }
        return try read(handle: handle, name: path, limit: limit)
    }

    static func read(handle: FileHandle, name: String, limit: Int) throws(CLIError) -> String {
        // One read may return less than asked (a pipe, a large file): read to
        // the end or to just past the limit.
        var data = Data()
        do {
            while data.count <= limit, let chunk = try handle.read(upToCount: limit + 1 - data.count), !chunk.isEmpty {
                data.append(chunk)
            }
        } catch {
            throw CLIError("cannot read \(name): \(error.localizedDescription)")
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
