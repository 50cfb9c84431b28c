public import Foundation
public import Testing

/// A private `dbus-daemon` for hermetic tests, with its own socket in a
/// temporary folder, so tests never touch the user's session bus.
///
/// Use it as a trait: `@Suite(.privateBus)` starts one bus for the whole
/// suite (`@Test(.privateBus)` one per test) and stops it when the scope ends,
/// even when a test fails; tests read `PrivateBus.current`. Or call
/// `start()` (`launch()` from async code) and `stop()` yourself for a bus
/// a test owns or means to kill.
///
/// The daemon is a `ChildProcess` (clean signal mask, ended when this object
/// goes away). Readiness is awaited, not slept for: `dbus-daemon
/// --print-address` writes the address only once it is listening.
///
/// Shared in `HeraldTesting` because the D-Bus layer's tests, the daemon's
/// and the end-to-end tests all need a bus of their own.
public final class PrivateBus: @unchecked Sendable {
    /// The bus address, for `DBusConnection.connect(address:)` or `DBUS_SESSION_BUS_ADDRESS`.
    public let address: String
    /// The temporary folder holding the config, the socket and the daemon's output.
    public let directory: URL
    private let process: ChildProcess
    private let lock = NSLock()
    private var stopped = false

    /// The bus of the enclosing `.privateBus` suite or test.
    @TaskLocal public static var current: PrivateBus?

    /// The test process's environment with `DBUS_SESSION_BUS_ADDRESS` set to
    /// this bus, for a child (`dbus-send`, `gdbus`, `heraldd`) that should use it.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = address
        return environment
    }

    private init(address: String, directory: URL, process: ChildProcess) {
        self.address = address
        self.directory = directory
        self.process = process
    }

    /// Starts a bus and waits (on the calling thread, at most `timeout`) until
    /// it listens. `serviceDirectories` hold `.service` files for D-Bus activation.
    /// For synchronous set-up code; async code calls `launch(serviceDirectories:timeout:)`.
    public static func start(serviceDirectories: [String] = [], timeout: Duration = .seconds(10)) throws -> PrivateBus {
        let timeout = timeout.timingScaled
        let starting = try Starting(serviceDirectories: serviceDirectories)
        let deadline = ContinuousClock.now + timeout
        while true {
            if let bus = try starting.poll() { return bus }
            guard ContinuousClock.now < deadline else { throw starting.fail("did not print its address within \(timeout)") }
            usleep(2_000)
        }
    }

    /// Starts a bus and waits at most `timeout` until it listens, sleeping
    /// between checks so that the few threads of the concurrency pool stay free.
    public static func launch(serviceDirectories: [String] = [], timeout: Duration = .seconds(10)) async throws -> PrivateBus {
        let timeout = timeout.timingScaled
        let starting = try Starting(serviceDirectories: serviceDirectories)
        let deadline = ContinuousClock.now + timeout
        while true {
            if let bus = try starting.poll() { return bus }
            guard ContinuousClock.now < deadline else { throw starting.fail("did not print its address within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Kills the bus, reaps it, and removes its folder; safe to call twice.
    /// Every connection to it sees the bus go away.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        // SIGKILL: nothing to flush, and the reap is then immediate.
        process.send(SIGKILL)
        _ = process.waitForExit(timeout: .seconds(5))
        if ProcessInfo.processInfo.environment["HERALD_KEEP_TEST_FILES"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    deinit {
        stop()
    }

    /// A `dbus-daemon` started but perhaps not yet listening.
    private struct Starting {
        let directory: URL
        let outputPath: String
        let process: ChildProcess

        init(serviceDirectories: [String]) throws {
            // Short: the socket path must fit in a sockaddr_un (108 bytes).
            directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
                .appendingPathComponent("herald-bus-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            let services = serviceDirectories.map { "  <servicedir>\($0)</servicedir>" }.joined(separator: "\n")
            let config = try String(contentsOf: Self.template, encoding: .utf8)
                .replacingOccurrences(of: "@socket@", with: directory.path + "/bus")
                .replacingOccurrences(of: "@servicedirs@", with: services)
            let configURL = directory.appendingPathComponent("bus.conf")
            try config.write(to: configURL, atomically: true, encoding: .utf8)
            outputPath = directory.appendingPathComponent("address").path
            process = try ChildProcess(
                try ChildProcess.find("dbus-daemon"),
                ["--config-file=\(configURL.path)", "--nofork", "--nopidfile", "--print-address=1"],
                environment: ProcessInfo.processInfo.environment,
                logPath: outputPath, errorPath: directory.appendingPathComponent("dbus-daemon.log").path)
        }

        /// `dbus/test-session.conf.in`, the test bus config kept beside the interface.
        static let template = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("dbus/test-session.conf.in")

        /// The bus once its address line is complete; nil while it starts.
        func poll() throws -> PrivateBus? {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let newline = output.firstIndex(of: "\n") {
                return PrivateBus(address: String(output[..<newline]), directory: directory, process: process)
            }
            guard process.isRunning else { throw fail("exited at once") }
            return nil
        }

        func fail(_ what: String) -> PrivateBusError {
            process.send(SIGKILL)
            _ = process.waitForExit(timeout: .seconds(5))
            let log = (try? String(contentsOfFile: directory.appendingPathComponent("dbus-daemon.log").path, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            return PrivateBusError(description: "dbus-daemon \(what)\(log.isEmpty ? "" : ":\n\(log)")")
        }
    }
}

/// A private bus that could not be started; the message says why.
public struct PrivateBusError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs each suite (or test) it is attached to with its own `PrivateBus`.
public struct PrivateBusTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let bus = try await PrivateBus.launch()
        defer { bus.stop() }
        try await PrivateBus.$current.withValue(bus) {
            try await function()
        }
    }
}

extension Trait where Self == PrivateBusTrait {
    /// A private `dbus-daemon` for the suite (or test), reachable as `PrivateBus.current`.
    public static var privateBus: Self { PrivateBusTrait() }
}
