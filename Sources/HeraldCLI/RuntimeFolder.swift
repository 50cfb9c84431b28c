internal import Foundation

/// `$XDG_RUNTIME_DIR/herald`, created 0700: where the CLI keeps the daemon's
/// log and what `herald clipboard --toggle` must remember between runs.
enum RuntimeFolder {
    static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        let folder = URL(fileURLWithPath: base).appendingPathComponent("herald").path
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }
}
