public import Foundation
public import Testing

/// A PulseAudio server of the test's own, playing into a null sink that keeps time.
///
/// There is no sound card here, and ALSA's `null` PCM does not keep time, so
/// tests that measure pacing or interruption play to this server through a
/// `type pulse` PCM. A null sink sleeps in blocks of up to 2 s and delays a new
/// stream by 1–2 s; a 10 ms `pacat` stream of silence keeps it ticking in small
/// blocks, and `start(ticking: true)` waits until a probe stream has played,
/// so the stream under test starts and moves at once.
///
/// Runs as root too (this machine does): `-n` skips the default script, the
/// modules are loaded explicitly, HOME and PULSE_RUNTIME_PATH point into a
/// private folder, and no pid file is used.
///
/// Shared in `HeraldTesting` because every target that plays through ALSA
/// (sink, daemon, end-to-end tests) needs the same paced device.
public final class PrivatePulseAudio: @unchecked Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `unix:…`, for `pcm.NAME { type pulse; server "…" }` or `pacat -s`.
    public let server: String
    private let daemon: ChildProcess
    private var ticker: ChildProcess?
    private let logPath: String

    /// The server a `.privatePulseAudio` suite runs with.
    @TaskLocal public static var current: PrivatePulseAudio?

    /// Starts the server on `socket`; with `ticking`, also the ticking stream,
    /// and waits until the sink plays in small blocks.
    public init(socket: String, directory: URL, ticking: Bool = true) throws {
        let fileManager = FileManager.default
        let name = URL(fileURLWithPath: socket).deletingPathExtension().lastPathComponent
        let home = directory.appendingPathComponent("\(name)-home", isDirectory: true)
        let runtime = directory.appendingPathComponent("\(name)-runtime", isDirectory: true)
        for folder in [home, runtime] {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        }
        let script = directory.appendingPathComponent("\(name).pa")
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

        logPath = directory.appendingPathComponent("\(name).log").path
        server = "unix:\(socket)"
        daemon = try ChildProcess(
            try Self.find("pulseaudio"),
            [
                "-n", "-F", script.path, "--daemonize=no", "--exit-idle-time=-1",
                "--use-pid-file=no", "--disallow-exit", "--log-target=stderr",
            ],
            environment: environment, logPath: logPath)

        let deadline = ContinuousClock.now + .seconds(10)
        while !fileManager.fileExists(atPath: socket) {
            guard daemon.isRunning else { throw failure("pulseaudio exited") }
            guard ContinuousClock.now < deadline else { throw failure("pulseaudio did not create \(socket) within 10 s") }
            usleep(10_000)
        }
        guard ticking else { return }

        let pacat = try Self.find("pacat")
        ticker = try ChildProcess(
            pacat, ["--latency-msec=10", "-s", server, "/dev/zero"], environment: environment, logPath: logPath)
        // The sink's first block after start is up to 2 s long; a 10 ms probe
        // stream ends only after it, and from then on the sink ticks in 10 ms.
        let probe = directory.appendingPathComponent("probe.raw")
        try Data(count: 441 * 2).write(to: probe)
        let warmUp = try ChildProcess(
            pacat,
            ["--raw", "--format=s16le", "--rate=44100", "--channels=1", "--latency-msec=10", "-s", server, probe.path],
            environment: environment, logPath: logPath)
        guard warmUp.waitForExit(timeout: .seconds(10)) else { throw failure("a 10 ms probe did not play within 10 s") }
        guard ticker?.isRunning == true else { throw failure("pacat could not play to \(server)") }
    }

    deinit { stop() }

    /// Ends the ticking stream and the server; safe to call twice.
    public func stop() {
        ticker?.terminate()
        daemon.terminate()
    }

    private func failure(_ what: String) -> StartError {
        stop()
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return StartError(
            description: "Cannot start the private PulseAudio that paced audio tests need: \(what).\n--- \(logPath) ---\n\(log)")
    }

    private static func find(_ program: String) throws -> String {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw StartError(description: "\(program) is not installed (Debian: pulseaudio, pulseaudio-utils)")
    }
}

/// Runs `work` on a thread of its own: starting and stopping a sound server
/// waits for it (seconds at worst), and the few threads of the concurrency
/// pool must keep running the other suites of the process meanwhile.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// Runs a suite with one warmed-up private PulseAudio (`PrivatePulseAudio.current`),
/// started before its first test and ended after its last. Fails the suite with
/// the server's log when it cannot start.
///
/// Every such suite uses the one socket that `pcm.heraldpulse` names, and all
/// test targets share one process, so these suites take `TestExclusion.timing`
/// and run one at a time (they measure time, too).
public struct PrivatePulseAudioTrait: SuiteTrait, TestScoping {
    public let socket: String
    public let directory: URL

    public init(socket: String, directory: URL) {
        self.socket = socket
        self.directory = directory
    }

    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestExclusion.timing.run {
            let pulse = try await offPool { try PrivatePulseAudio(socket: socket, directory: directory) }
            do {
                try await PrivatePulseAudio.$current.withValue(pulse) {
                    try await function()
                }
            } catch {
                _ = try? await offPool { pulse.stop() }
                throw error
            }
            _ = try? await offPool { pulse.stop() }
        }
    }
}
