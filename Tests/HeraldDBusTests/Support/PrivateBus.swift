import Foundation
import Testing

/// A private `dbus-daemon` for hermetic tests, with its own socket in a
/// temporary folder, so tests never touch the user's session bus.
///
/// Written to move into the shared `HeraldTesting` target: it depends on
/// Foundation and Swift Testing only. Use it as a suite trait,
/// `@Suite(.privateBus)`, which starts one bus for the whole suite and stops
/// it when the suite ends (even when a test fails); tests read
/// `PrivateBus.current`. Or call `start()`/`stop()` yourself for a bus a test
/// means to kill.
///
/// Readiness is awaited, not slept for: `dbus-daemon --print-address` writes
/// the address only once it is listening, and `start()` blocks on that line.
final class PrivateBus: @unchecked Sendable {
    /// The bus address, for `DBusConnection.connect(address:)` or `DBUS_SESSION_BUS_ADDRESS`.
    let address: String
    /// The temporary folder holding the config and the socket.
    let directory: URL
    private let process: Process

    /// The bus of the enclosing `.privateBus` suite.
    @TaskLocal static var current: PrivateBus?

    /// Environment for a child process (`dbus-send`, `heraldd`) that should use this bus.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = address
        return environment
    }

    private init(address: String, directory: URL, process: Process) {
        self.address = address
        self.directory = directory
        self.process = process
    }

    /// Starts a bus. `serviceDirectories` hold `.service` files for D-Bus activation.
    static func start(serviceDirectories: [String] = [], timeout: Duration = .seconds(10)) throws -> PrivateBus {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-bus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = serviceDirectories.map { "  <servicedir>\($0)</servicedir>\n" }.joined()
        let config = """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(directory.path)/bus</listen>
              <auth>EXTERNAL</auth>
              <!-- The session bus's generous limits (session.conf), not the low built-in ones. -->
              <limit name="max_incoming_bytes">1000000000</limit>
              <limit name="max_outgoing_bytes">1000000000</limit>
              <limit name="max_message_size">1000000000</limit>
              <limit name="max_names_per_connection">50000</limit>
              <limit name="max_match_rules_per_connection">50000</limit>
              <limit name="max_replies_per_connection">50000</limit>
            \(services)  <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>

            """
        let configURL = directory.appendingPathComponent("bus.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        process.arguments = ["--config-file=\(configURL.path)", "--nofork", "--nopidfile", "--print-address=1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        guard let address = readLine(from: output.fileHandleForReading.fileDescriptor, timeout: timeout) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
            throw PrivateBusError(message: "dbus-daemon did not print its address within \(timeout)")
        }
        return PrivateBus(address: address, directory: directory, process: process)
    }

    /// Kills the bus, waits for it, and removes its folder; safe to call twice.
    ///
    /// SIGKILL, not SIGTERM: a child started by `Process` from the test runner
    /// inherits the runner's signal mask, in which SIGTERM is blocked, so
    /// `terminate()` would leave the daemon running and `waitUntilExit()` hanging.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        stop()
    }

    /// Reads one line, waiting in poll() for at most `timeout` in total.
    private static func readLine(from fd: Int32, timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while ContinuousClock.now < deadline {
            var pollSet = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = deadline - ContinuousClock.now
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
            guard poll(&pollSet, 1, milliseconds) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") {
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.append(byte)
        }
        return nil
    }
}

struct PrivateBusError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs each suite (or test) it is attached to with its own `PrivateBus`.
struct PrivateBusTrait: SuiteTrait, TestTrait, TestScoping {
    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let bus = try PrivateBus.start()
        defer { bus.stop() }
        try await PrivateBus.$current.withValue(bus) {
            try await function()
        }
    }
}

extension Trait where Self == PrivateBusTrait {
    /// A private `dbus-daemon` for the suite, reachable as `PrivateBus.current`.
    static var privateBus: Self { PrivateBusTrait() }
}
