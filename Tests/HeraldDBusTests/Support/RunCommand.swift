import Foundation

/// The outcome of a command-line tool run by a test.
struct CommandResult {
    let status: Int32
    let output: String
    let errorOutput: String
}

/// Runs a tool (e.g. `dbus-send`) to completion; nil when it is not installed.
///
/// The wait happens on a thread of its own: the tool usually calls back into
/// a service in this process, whose handlers need the few threads of Swift's
/// cooperative pool (two on the CI machines), so blocking one of them can stall
/// the very reply the tool waits for.
func runCommand(_ path: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> CommandResult? {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<CommandResult?, any Error>, Never>) in
        let thread = Thread {
            continuation.resume(returning: Result { try runCommandBlocking(path, arguments, environment: environment) })
        }
        thread.start()
    }
    return try result.get()
}

private func runCommandBlocking(_ path: String, _ arguments: [String], environment: [String: String]?) throws -> CommandResult? {
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        output: String(decoding: outData, as: UTF8.self),
        errorOutput: String(decoding: errData, as: UTF8.self))
}
