public import Foundation
public import Testing

/// A PipeWire of the test's own, as a desktop runs it: `pipewire`, the
/// `wireplumber` session manager and `pipewire-pulse`, with a null sink that
/// the dummy driver clocks in real time.
///
/// Many desktops reach PipeWire through ALSA's pulse plugin and
/// pipewire-pulse, others through pipewire-alsa's own plugin; each behaves
/// differently from PulseAudio at the end of a stream (`PlayoutTracker` says
/// how), so the sink, the daemon and the SSIP tests drive both for real.
/// Everything lives under `directory`/pipewire-runtime (its `XDG_RUNTIME_DIR`),
/// with a D-Bus session bus of its own for WirePlumber. Debian 12's
/// `pipewire-alsa` package conflicts with `pulseaudio`; the tests load its
/// plugin from where `packaging/install-deps.sh --test` unpacked it
/// (`ALSATestConfig.pipewirePlugin`).
public final class PrivatePipeWire: @unchecked Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The runtime folder holding `pipewire-0` and `pulse/native`.
    public let runtime: URL
    /// `unix:…/pulse/native`, for `pcm.NAME { type pulse; server "…" }` or `pactl -s`.
    public var pulseServer: String { "unix:\(runtime.path)/pulse/native" }
    /// The PipeWire socket, for `pcm.NAME { type pipewire; server "…" }`.
    public var socket: String { runtime.appendingPathComponent("pipewire-0").path }

    /// The servers' process ids by program (`pipewire`, `wireplumber`,
    /// `pipewire-pulse`), for tests that count what they cost.
    public var serverProcessIDs: [String: pid_t] {
        Dictionary(processes.map { (($0.program as NSString).lastPathComponent, $0.pid) }, uniquingKeysWith: { first, _ in first })
    }

    private let bus: PrivateBus
    private var processes: [ChildProcess] = []
    private let logPath: String

    /// The runtime folder a PipeWire started in `directory` uses; the ALSA
    /// test config names its sockets before the server exists.
    static func runtime(in directory: URL) -> URL {
        directory.appendingPathComponent("pipewire-runtime", isDirectory: true)
    }

    /// The PipeWire a `.privatePipeWire` suite runs with.
    @TaskLocal public static var current: PrivatePipeWire?

    /// Starts the three servers, adds the null sink and waits until a short
    /// probe has played through it, so the stream under test links at once.
    public init(directory: URL) throws {
        let fileManager = FileManager.default
        runtime = Self.runtime(in: directory)
        let home = directory.appendingPathComponent("pipewire-home", isDirectory: true)
        // A server stopped before (another suite, or a test that restarts PipeWire) may have left its
        // sockets behind if it was killed: the waits below would find those at once and talk to nobody.
        try? fileManager.removeItem(at: runtime)
        for folder in [runtime, home] {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        }
        logPath = directory.appendingPathComponent("pipewire.log").path
        bus = try PrivateBus.start()

        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = runtime.path
        environment["HOME"] = home.path
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        environment.removeValue(forKey: "PIPEWIRE_REMOTE")
        environment.removeValue(forKey: "PULSE_SERVER")
        // pipewire-pulse puts its socket there when it is set, not under XDG_RUNTIME_DIR.
        environment.removeValue(forKey: "PULSE_RUNTIME_PATH")

        do {
            processes.append(try ChildProcess(try Self.find("pipewire"), [], environment: environment, logPath: logPath))
            try waitFor("pipewire to create \(socket)") { fileManager.fileExists(atPath: self.socket) }
            processes.append(try ChildProcess(try Self.find("wireplumber"), [], environment: environment, logPath: logPath))
            processes.append(try ChildProcess(try Self.find("pipewire-pulse"), [], environment: environment, logPath: logPath))
            let pulseSocket = runtime.appendingPathComponent("pulse/native").path
            try waitFor("pipewire-pulse to create \(pulseSocket)") { fileManager.fileExists(atPath: pulseSocket) }

            let pactl = try Self.find("pactl")
            try run(pactl, ["-s", pulseServer, "load-module", "module-null-sink", "sink_name=herald_null"], environment)
            // The sink appears to pipewire-pulse a moment after the module loads.
            try run(pactl, ["-s", pulseServer, "set-default-sink", "herald_null"], environment, retryingFor: .seconds(5))
            // WirePlumber links a stream only once it knows the sink: a 10 ms
            // probe that plays to its end shows that it does.
            let probe = directory.appendingPathComponent("pipewire-probe.raw")
            try Data(count: 480 * 2).write(to: probe)
            try run(
                try Self.find("pacat"),
                ["--raw", "--format=s16le", "--rate=48000", "--channels=1", "-s", pulseServer, probe.path], environment)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// The null sink's state as pipewire-pulse reports it (`pactl list sinks
    /// short`): `SUSPENDED` once nothing has played for WirePlumber's suspend
    /// timeout (5 s), `RUNNING` while a stream keeps the graph going, `IDLE`
    /// between the two; nil when pactl does not answer.
    public func sinkState() async throws -> String? {
        guard let listed = try await runCommand(try Self.find("pactl"), ["-s", pulseServer, "list", "sinks", "short"], timeout: .seconds(10)),
            listed.status == 0
        else { return nil }
        let line = listed.output.split(separator: "\n").first { $0.split(separator: "\t").dropFirst().first == "herald_null" }
        return line?.split(separator: "\t").last.map(String.init)
    }

    /// `pactl list sink-inputs`: the streams playing to the server, with
    /// their properties (both paths' streams show, pipewire-alsa's too).
    public func sinkInputs() async throws -> String {
        try await runCommand(try Self.find("pactl"), ["-s", pulseServer, "list", "sink-inputs"], timeout: .seconds(10))?.output ?? ""
    }

    /// Ends the servers and their bus; safe to call twice.
    public func stop() {
        for process in processes.reversed() { process.terminate() }
        processes = []
        bus.stop()
    }

    private func waitFor(_ what: String, _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            if let exited = processes.first(where: { !$0.isRunning }) { throw failure("\(exited.program) exited") }
            guard ContinuousClock.now < deadline else { throw failure("waited 10 s for \(what)") }
            usleep(10_000)
        }
    }

    /// Runs a command to its end; one that fails is run again until `retryingFor` has passed.
    private func run(
        _ program: String, _ arguments: [String], _ environment: [String: String], retryingFor patience: Duration = .zero
    ) throws {
        let command = "`\((program as NSString).lastPathComponent) \(arguments.joined(separator: " "))`"
        let deadline = ContinuousClock.now + patience
        while true {
            let child = try ChildProcess(program, arguments, environment: environment, logPath: logPath)
            guard child.waitForExit(timeout: .seconds(10)) else {
                child.terminate()
                throw failure("\(command) did not finish within 10 s")
            }
            if child.exitCode == 0 { return }
            guard ContinuousClock.now < deadline else { throw failure("\(command) failed") }
            usleep(50_000)
        }
    }

    private func failure(_ what: String) -> StartError {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return StartError(
            description: "Cannot start the private PipeWire that the sound-server tests need: \(what).\n--- \(logPath) ---\n\(log.suffix(4000))")
    }

    private static func find(_ program: String) throws -> String {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw StartError(
            description: "\(program) is not installed (Debian: pipewire, pipewire-pulse, wireplumber, pulseaudio-utils; `packaging/install-deps.sh --test` installs them)")
    }
}

/// Runs a suite with one private PipeWire (`PrivatePipeWire.current`), started
/// before its first test and ended after its last. It takes
/// `TestExclusion.timing`, as the PulseAudio suites do: these suites measure
/// time, and the PCMs that reach it are fixed in the one ALSA config.
public struct PrivatePipeWireTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await TestExclusion.timing.run {
            let directory = ALSATestConfig.shared.directory
            let server = try await offPool { try PrivatePipeWire(directory: directory) }
            do {
                try await PrivatePipeWire.$current.withValue(server) { try await function() }
            } catch {
                _ = try? await offPool { server.stop() }
                throw error
            }
            _ = try? await offPool { server.stop() }
        }
    }
}

extension Trait where Self == PrivatePipeWireTrait {
    /// One private PipeWire for the suite, where `pcm.heraldpwpulse` and `pcm.heraldpipewire` point.
    public static var privatePipeWire: Self { PrivatePipeWireTrait() }
}
