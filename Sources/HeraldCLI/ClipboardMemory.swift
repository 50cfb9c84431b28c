internal import FoundationEssentials
internal import Glibc

/// The message `herald clipboard` last started, remembered in the runtime
/// folder so that the next `--toggle` (a new process, from a keybinding) can
/// tell whether Herald is speaking it.
///
/// The daemon's unique bus name is kept with the id: ids start again at 1
/// when the daemon restarts, and a new daemon's message 1 is not ours.
struct ClipboardMemory: Equatable {
    var daemon: String
    var id: UInt64

    static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        RuntimeFolder.path(environment: environment) + "/clipboard-message"
    }

    static func load() -> ClipboardMemory? {
        guard let line = try? String(contentsOfFile: path(), encoding: .utf8) else { return nil }
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let id = UInt64(fields[1]) else { return nil }
        return ClipboardMemory(daemon: String(fields[0]), id: id)
    }

    /// Best effort: without it the next toggle speaks again instead of stopping.
    func save() {
        let data = Data("\(daemon) \(id)\n".utf8)
        _ = FileManager.default.createFile(atPath: Self.path(), contents: data, attributes: [.posixPermissions: 0o600])
    }

    static func forget() {
        try? FileManager.default.removeItem(atPath: path())
    }
}
