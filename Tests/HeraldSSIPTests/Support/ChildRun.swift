import Foundation
import HeraldTesting

/// Runs a client program (spd-say, python3) to its end within `timeout`,
/// killing it otherwise; returns its exit code and what it printed.
struct ChildRun {
    struct Result: Sendable {
        let exitCode: Int32?
        let output: String
        let finishedInTime: Bool
    }

    static func run(
        _ program: String, _ arguments: [String], environment: [String: String], timeout: Duration
    ) async throws -> Result {
        let log = SSIPTestServer.makeSocketFolder() + "-\(URL(fileURLWithPath: program).lastPathComponent).log"
        let child = try ChildProcess(try ChildProcess.find(program), arguments, environment: environment, logPath: log)
        let finished = await child.exited(within: timeout)
        if !finished { child.terminate() }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Result(exitCode: child.exitCode, output: output, finishedInTime: finished)
    }

    /// Starts a program that the test ends itself (the object's deinit kills it).
    static func start(_ program: String, _ arguments: [String], environment: [String: String]) throws -> (
        ChildProcess, String
    ) {
        let log = SSIPTestServer.makeSocketFolder() + "-\(URL(fileURLWithPath: program).lastPathComponent).log"
        return (
            try ChildProcess(try ChildProcess.find(program), arguments, environment: environment, logPath: log), log
        )
    }
}
