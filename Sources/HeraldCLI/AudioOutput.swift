internal import FoundationEssentials
internal import Glibc
internal import HeraldDBus

/// `herald speak --output FILE.wav`: the daemon synthesises into a file this
/// process opened, through the same engines as speech, without touching what
/// is playing.
///
/// The audio goes to a hidden temporary file beside the target, renamed over
/// it only once the daemon has written it whole: a failure (no engine, a full
/// disk, Ctrl-C) leaves nothing half-written and an existing file untouched.
struct AudioOutput {
    let path: String

    /// Checks the name and the folder before any synthesis, so a mistake costs nothing.
    init(path: String) throws(CLIError) {
        guard path.lowercased().hasSuffix(".wav") else {
            throw CLIError("--output writes WAV audio: name the file NAME.wav (\(path))")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder else {
            throw CLIError("cannot write \(path): the folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else { throw CLIError("cannot write \(path): no permission to write in \(folder)") }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder {
            throw CLIError("cannot write \(path): it is a folder")
        }
        self.path = url.path
    }

    /// Has the daemon write `text` into the file; returns what was written.
    func write(_ text: String, options: [String: DBusValue], client: DaemonClient) async throws(CLIError) -> (rate: UInt32, frames: UInt64) {
        let url = URL(fileURLWithPath: path)
        var template = Array((url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd) }
        do throws(CLIError) {
            // An hour of text takes a while to synthesise; the daemon replies when the file is whole.
            let reply = try await client.call(
                "Export", [.string(text), .dictionary(options), .unixFD(DBusUnixFD(borrowing: fd))], timeout: .seconds(3600))
            guard let rate = reply.first?.uint32, let frames = reply.dropFirst().first?.uint64 else {
                throw CLIError("the daemon gave an unexpected reply to Export")
            }
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
            guard rename(temporary, path) == 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            return (rate, frames)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
