internal import Foundation

/// Reads what the user asked to hear: UTF-8, or Latin-1 when it is not;
/// refuses binary data and files too large for one message.
enum TextInput {
    static func read(file: String, limit: Int) throws(CLIError) -> String {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw CLIError("cannot read \(file): \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
        }
        defer { try? handle.close() }
        return try read(handle: handle, name: file, limit: limit)
    }

    static func read(handle: FileHandle, name: String, limit: Int) throws(CLIError) -> String {
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw CLIError("cannot read \(name): \(error.localizedDescription)")
        }
        guard data.count <= limit else { throw CLIError("\(name) is larger than \(limit >> 20) MiB; split it") }
        guard !data.contains(0) else { throw CLIError("\(name) looks binary (it contains NUL bytes); give a text file") }
        if let text = String(data: data, encoding: .utf8) { return text }
        if let text = String(data: data, encoding: .isoLatin1) { return text }
        throw CLIError("\(name) is neither UTF-8 nor Latin-1 text")
    }
}
