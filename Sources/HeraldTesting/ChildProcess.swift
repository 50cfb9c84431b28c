public import Foundation
internal import HeraldSystem

/// A program a test starts and must end: a server, a load generator, `heraldd` itself.
///
/// Started as Herald starts every child (HeraldSystem's `Spawn`, which says
/// why the signal mask matters). The child is ended (SIGTERM, then SIGKILL)
/// when this object goes away, so a failing test leaves no process behind.
public final class ChildProcess {
    /// A helper that could not be started (or did not come up); the message says why.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let pid: pid_t
    public let program: String
    private var status: Int32?

    /// Starts `program` (an absolute path) with stdin from /dev/null, stdout
    /// appended to `logPath`, and stderr appended to `errorPath` (to `logPath`
    /// when nil), so a test can check what a program says on stderr alone.
    public init(
        _ program: String, _ arguments: [String], environment: [String: String], logPath: String,
        errorPath: String? = nil
    ) throws {
        self.program = program
        var child = Spawn(program, arguments, environment: environment)
        child.standardOutput = .appending(to: logPath, mode: 0o644)
        child.standardError = errorPath.map { Spawn.Source.appending(to: $0, mode: 0o644) } ?? .descriptor(1)
        do {
            pid = try child.start()
        } catch {
            throw SpawnError(description: "\(error)")
        }
    }

    deinit { terminate() }

    public var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// The exit code once the program has exited by itself; nil while it runs
    /// or when a signal killed it.
    public var exitCode: Int32? {
        guard !isRunning, let status, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// The signal that killed the program, if one did.
    public var terminatingSignal: Int32? {
        guard !isRunning, let status else { return nil }
        let signal = status & 0x7f
        return signal != 0 && signal != 0x7f ? signal : nil
    }

    /// Sends `signal` and returns at once; see `exited(within:)` to wait.
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Waits up to `timeout` for the program to end by itself; true if it did.
    /// Blocks the calling thread: for synchronous set-up code.
    public func waitForExit(timeout: Duration) -> Bool {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// Waits up to `timeout` for the program to end by itself; true if it did.
    /// Sleeps between checks rather than blocking, for async tests that share
    /// the few threads of the concurrency pool.
    /// A cancelled task stops waiting (false) rather than spinning.
    public func exited(within timeout: Duration) async -> Bool {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// SIGTERM, then SIGKILL after a second; reaps the child. Safe to call twice.
    public func terminate() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if !waitForExit(timeout: .seconds(1)) {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
            status = raw
        }
    }

    /// The absolute path of `program` in the usual system folders, for
    /// helpers the tests need from Debian packages.
    public static func find(_ program: String) throws -> String {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"] {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw SpawnError(description: "\(program) is not installed")
    }
}
