internal import FoundationEssentials
internal import Glibc

/// A message the CLI started, remembered in the runtime folder so that a
/// later `herald` process (from a keybinding, another shell) can act on it:
/// the clipboard's for `herald clipboard --toggle`, the last reading for
/// `herald next`, `previous` and `repeat`.
///
/// The daemon's unique bus name is kept with the id: ids start again at 1
/// when the daemon restarts, and a new daemon's message 1 is not ours.
struct MessageMemory: Equatable {
    enum Slot: String {
        case clipboard = "clipboard-message"
        case reading = "reading-message"
    }

    var daemon: String
    var id: UInt64

    static func path(_ slot: Slot, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        RuntimeFolder.path(environment: environment) + "/" + slot.rawValue
    }

    static func load(_ slot: Slot) -> MessageMemory? {
        guard let line = try? String(contentsOfFile: path(slot), encoding: .utf8) else { return nil }
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let id = UInt64(fields[1]) else { return nil }
        return MessageMemory(daemon: String(fields[0]), id: id)
    }

    /// Best effort: without it the next toggle speaks again instead of
    /// stopping, and moving says there is no reading.
    func save(_ slot: Slot) {
        let data = Data("\(daemon) \(id)\n".utf8)
        _ = FileManager.default.createFile(atPath: Self.path(slot), contents: data, attributes: [.posixPermissions: 0o600])
    }

    static func forget(_ slot: Slot) {
        try? FileManager.default.removeItem(atPath: path(slot))
    }
}
