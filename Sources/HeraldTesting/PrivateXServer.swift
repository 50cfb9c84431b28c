internal import Foundation

/// An `Xvfb` X server of the test's own, on a display number no other X
/// server uses, so that clipboard tests run real `xclip` against a real
/// selection owner without a desktop and without touching the user's.
///
/// `-displayfd` makes Xvfb pick the free display itself and print its
/// number once it accepts clients: readiness is awaited, not slept for, and
/// two test runs never race for the same `:N`. `-noreset` keeps the server
/// from resetting when its last client leaves: a reset closes every
/// connection, so a selection owner that connected just as a short-lived
/// reader left would be cut off and never own anything. The server is a
/// `ChildProcess`, ended when this object goes away.
public final class PrivateXServer: @unchecked Sendable {
    /// `:N`, for `DISPLAY`.
    public let display: String
    private let process: ChildProcess
    private let directory: URL

    private init(display: String, process: ChildProcess, directory: URL) {
        self.display = display
        self.process = process
        self.directory = directory
    }

    /// Starts Xvfb and waits (sleeping between checks, at most `timeout`)
    /// until it serves; throws when Xvfb is not installed (`packaging/install-deps.sh --test`).
    public static func launch(timeout: Duration = .seconds(15)) async throws -> PrivateXServer {
        let timeout = timeout.timingScaled
        let directory = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
            .appendingPathComponent("herald-x-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("displayfd").path
        let process = try ChildProcess(
            try ChildProcess.find("Xvfb"), ["-displayfd", "1", "-noreset", "-nolisten", "tcp", "-screen", "0", "640x480x24"],
            environment: ProcessInfo.processInfo.environment, logPath: output,
            errorPath: directory.appendingPathComponent("Xvfb.log").path)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if text.hasSuffix("\n"), let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return PrivateXServer(display: ":\(number)", process: process, directory: directory)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.terminate()
        let log = (try? String(contentsOfFile: directory.appendingPathComponent("Xvfb.log").path, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: directory)
        throw ChildProcess.SpawnError(description: "Xvfb did not start within \(timeout):\n\(log)")
    }

    /// `environment` with `DISPLAY` set to this server and no Wayland
    /// display, so that clients choose the X11 tools.
    public func environment(_ environment: [String: String]) -> [String: String] {
        var environment = environment
        environment["DISPLAY"] = display
        environment["WAYLAND_DISPLAY"] = nil
        return environment
    }

    /// Ends the server; every client loses its connection (and selections).
    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
