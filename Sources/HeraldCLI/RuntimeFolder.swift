internal import FoundationEssentials
internal import Glibc

/// `$XDG_RUNTIME_DIR/herald` (else `/tmp/herald-UID`), created 0700: where the CLI keeps the daemon's
/// log and what `herald clipboard --toggle` must remember between runs.
enum RuntimeFolder {
    static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        // Without a runtime folder (a bare console, a container), one of this user's own in /tmp,
        // where heraldd puts its SSIP socket too: never a folder other users share.
        let folder =
            environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 + "/herald" } ?? "/tmp/herald-\(getuid())"
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }
}
