internal import Foundation

/// The outcome of a command-line tool run by a test.
public struct CommandResult: Sendable, CustomStringConvertible {
    /// The exit code, or 128 + the signal number when a signal ended the tool.
    public let status: Int32
    public let output: String
    public let errorOutput: String
    /// From start to exit.
    public let duration: Duration

    public var description: String {
        "exit \(status) after \(duration)\n--- stdout ---\n\(output)--- stderr ---\n\(errorOutput)"
    }
}

/// A tool that did not finish in the time a test gave it (it was killed).
public struct CommandTimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Runs a tool (`dbus-send`, `gdbus`, `herald`) to completion, for at most
/// `timeout` (then it is killed and `CommandTimedOut` thrown); nil when the
/// tool is not installed.
///
/// The tool is a `ChildProcess` (clean signal mask) with its output in
/// temporary files, and the wait sleeps between checks: the tool often calls
/// back into a service in this process, whose handlers need the few threads of
/// Swift's cooperative pool (two on the CI machines), so blocking one of them
/// could stall the very reply the tool waits for.
public func runCommand(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(30)
) async throws -> CommandResult? {
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let timeout = timeout.timingScaled
    let folder = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        .appendingPathComponent("herald-command-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let outputPath = folder.appendingPathComponent("stdout").path
    let errorPath = folder.appendingPathComponent("stderr").path

    let start = ContinuousClock.now
    let tool = try ChildProcess(
        path, arguments, environment: environment ?? ProcessInfo.processInfo.environment, logPath: outputPath,
        errorPath: errorPath)
    let finished = await tool.exited(within: timeout)
    let duration = ContinuousClock.now - start
    if !finished {
        tool.send(SIGKILL)
        _ = await tool.exited(within: .seconds(5))
    }
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    guard finished else {
        throw CommandTimedOut(
            description: "\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout)\n"
                + "--- stdout ---\n\(read(outputPath))--- stderr ---\n\(read(errorPath))")
    }
    return CommandResult(
        status: tool.exitCode ?? (128 + (tool.terminatingSignal ?? 0)),
        output: read(outputPath), errorOutput: read(errorPath), duration: duration)
}
