import Foundation

/// A PulseAudio server of the test's own, playing into a null sink that keeps time.
///
/// There is no sound card here, and ALSA's `null` PCM does not keep time, so
/// tests that measure pacing or interruption play to this server through a
/// `type pulse` PCM. A null sink sleeps in blocks of up to 2 s and delays a new
/// stream by 1–2 s; a 10 ms `pacat` stream of silence keeps it ticking in small
/// blocks, so the stream under test starts and moves at once.
///
/// Runs as root too (this machine does): `-n` skips the default script, the
/// modules are loaded explicitly, HOME and PULSE_RUNTIME_PATH point into the
/// temp folder, and no pid file is used. Candidate for `HeraldTesting`.
final class PrivatePulseAudio {
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// `unix:…`, for `pcm.NAME { type pulse; server "…" }` or `pacat -s`.
    let server: String
    private let daemon: Process
    private let ticker: Process
    private let logPath: String

    /// Starts the server on `socket` and the ticking stream; waits until both run.
    init(socket: String, directory: URL) throws {
        let fileManager = FileManager.default
        let home = directory.appendingPathComponent("pulse-home", isDirectory: true)
        let runtime = directory.appendingPathComponent("pulse-runtime", isDirectory: true)
        for folder in [home, runtime] {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        }
        let script = directory.appendingPathComponent("pulse.pa")
        try """
        load-module module-null-sink sink_name=herald_null
        load-module module-native-protocol-unix socket=\(socket) auth-anonymous=1
        set-default-sink herald_null

        """.write(to: script, atomically: true, encoding: .utf8)
        try? fileManager.removeItem(atPath: socket)

        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["PULSE_RUNTIME_PATH"] = runtime.path
        environment["XDG_RUNTIME_DIR"] = runtime.path
        environment["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
        environment.removeValue(forKey: "PULSE_SERVER")

        logPath = directory.appendingPathComponent("pulse.log").path
        _ = fileManager.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))

        server = "unix:\(socket)"
        daemon = Process()
        daemon.executableURL = try Self.find("pulseaudio")
        daemon.arguments = [
            "-n", "-F", script.path, "--daemonize=no", "--exit-idle-time=-1",
            "--use-pid-file=no", "--disallow-exit", "--log-target=stderr",
        ]
        daemon.environment = environment
        daemon.standardOutput = log
        daemon.standardError = log
        try daemon.run()

        ticker = Process()
        ticker.executableURL = try Self.find("pacat")
        ticker.arguments = ["--latency-msec=10", "-s", server, "/dev/zero"]
        ticker.environment = environment
        ticker.standardOutput = log
        ticker.standardError = log

        let deadline = Date().addingTimeInterval(10)
        while !fileManager.fileExists(atPath: socket) {
            guard daemon.isRunning else { throw failure("pulseaudio exited (status \(daemon.terminationStatus))") }
            guard Date() < deadline else { throw failure("pulseaudio did not create \(socket) within 10 s") }
            usleep(20_000)
        }
        try ticker.run()
        // The ticker connects within milliseconds; give the sink time to start its stream.
        usleep(300_000)
        guard ticker.isRunning else { throw failure("pacat could not play to \(server)") }
    }

    deinit { stop() }

    /// Ends both processes; safe to call twice.
    func stop() {
        for process in [ticker, daemon] where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    private func failure(_ what: String) -> StartError {
        stop()
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return StartError(description: "Cannot start the private PulseAudio for paced audio tests: \(what).\n--- log ---\n\(log)")
    }

    private static func find(_ program: String) throws -> URL {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
        }
        throw StartError(description: "\(program) is not installed (Debian: pulseaudio, pulseaudio-utils)")
    }
}
