import Foundation
import HeraldTesting
import Testing

/// The built `heraldd` run as users and the session run it: a child process
/// with a config file, flags and signals. It sees the test process's ALSA
/// config (and so its capture PCMs) through `XDG_CONFIG_HOME`, and a private
/// session bus of its own (never the user's), so the D-Bus service runs and
/// shuts down with the rest. Serialized and under the private PulseAudio,
/// which the SIGTERM test plays to.
@Suite(.serialized, .privatePulseAudio)
struct DaemonProcessTests {
    let config = ALSATestConfig.shared

    @Test func aConfigFileThatDoesNotParseStopsStartWithFileAndLine() async throws {
        let run = try DaemonRun(name: "bad-config")
        let file = try run.writeConfig(
            """
            [audio]
            device = "default"
            this line is not toml

            """)
        let daemon = try run.start(["--config", file], bus: nil)
        let exited = await daemon.exited(within: .seconds(10))
        #expect(exited, "heraldd still runs 10 s after being given a broken config")
        let stderr = run.standardError
        print("broken config: exit \(daemon.exitCode.map(String.init) ?? "-"), stderr: \(stderr)")
        #expect(daemon.exitCode.map { $0 != 0 } == true)
        #expect(stderr.contains("\(file):3"), "stderr does not name \(file):3")
    }

    @Test func sayWithExitWhenIdleSpeaksAndExitsZero() async throws {
        let capture = try config.makeCapture()
        let run = try DaemonRun(name: "say")
        let file = try run.writeConfig("[audio]\ndevice = \"\(capture.name)\"\n")
        let bus = try SessionBus(in: run.folder)
        let start = ContinuousClock.now
        let daemon = try run.start(["--config", file, "--say", "Hello there.", "--exit-when-idle"], bus: bus)
        // "Hello there." into `null` takes well under a second.
        let exited = await daemon.exited(within: .seconds(10))
        #expect(exited, "heraldd --say --exit-when-idle still runs after 10 s:\n\(run.output)")
        #expect(daemon.exitCode == 0, "exit \(daemon.exitCode.map(String.init) ?? "-"):\n\(run.output)")
        let wav = try capture.wav()
        print("heraldd --say: exited after \(ContinuousClock.now - start); \(wav.seconds) s captured, RMS \(wav.rms())")
        #expect(wav.seconds > 0.3 && wav.seconds < 4)
        #expect(wav.rms() > 0.02)
        #expect(run.standardError.contains("serving on the session bus"), "no D-Bus service:\n\(run.output)")
    }

    @Test func sigtermWhileSpeakingExitsZeroPromptly() async throws {
        let capture = try config.makeCapture(paced: true)
        let run = try DaemonRun(name: "sigterm")
        let file = try run.writeConfig("[audio]\ndevice = \"\(capture.name)\"\n")
        let bus = try SessionBus(in: run.folder)
        let daemon = try run.start(["--config", file, "--say", SampleText.paragraphs], bus: bus)

        // Speaking: audio reaches the paced device and keeps coming.
        let deadline = ContinuousClock.now + .seconds(15)
        while capture.framesWritten < 22050 / 2, daemon.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(daemon.isRunning, "heraldd exited before it was signalled:\n\(run.output)")
        try #require(capture.framesWritten >= 22050 / 2, "heraldd did not play half a second within 15 s:\n\(run.output)")

        let framesAtSignal = capture.framesWritten
        let signalAt = ContinuousClock.now
        daemon.send(SIGTERM)
        let exited = await daemon.exited(within: .seconds(2))
        let took = ContinuousClock.now - signalAt
        let framesAfter = capture.framesWritten - framesAtSignal
        print(
            "heraldd SIGTERM: exited \(exited) after \(took), exit \(daemon.exitCode.map(String.init) ?? "-"), "
                + "\(framesAfter) frames written after the signal")
        #expect(exited, "heraldd still runs 2 s after SIGTERM:\n\(run.output)")
        #expect(daemon.exitCode == 0, "exit \(daemon.exitCode.map(String.init) ?? "-"):\n\(run.output)")
        #expect(framesAfter < 22050 / 5, "more than 200 ms of audio after SIGTERM")
        #expect(run.standardError.contains("serving on the session bus"), "no D-Bus service:\n\(run.output)")
    }

    /// A SIGTERM that arrives while heraldd is still starting (here: as soon
    /// as it has read its first line of code) is kept until the daemon runs,
    /// which then stops cleanly; before, the signal's default action killed it.
    @Test func sigtermDuringStartUpStopsCleanlyOnceStarted() async throws {
        let capture = try config.makeCapture()
        let run = try DaemonRun(name: "sigterm-start")
        let file = try run.writeConfig("[audio]\ndevice = \"\(capture.name)\"\n")
        let bus = try SessionBus(in: run.folder)
        let daemon = try run.start(["--config", file, "--log-level", "debug"], bus: bus)
        let deadline = ContinuousClock.now + .seconds(10)
        while !run.standardError.contains("core dumps and ptrace"), daemon.isRunning, ContinuousClock.now < deadline {
            usleep(200)
        }
        try #require(daemon.isRunning, "heraldd exited before it was signalled:\n\(run.output)")
        daemon.send(SIGTERM)
        let exited = await daemon.exited(within: .seconds(10))
        #expect(exited, "heraldd still runs 10 s after a SIGTERM during start-up:\n\(run.output)")
        #expect(
            daemon.terminatingSignal == nil && daemon.exitCode == 0,
            "signal \(daemon.terminatingSignal.map(String.init) ?? "-"), exit \(daemon.exitCode.map(String.init) ?? "-"):\n\(run.output)")
        #expect(run.standardError.contains("heraldd stopped"), "no clean stop:\n\(run.output)")
    }

    /// Through the pulse plugin, heraldd's stream carries the accessibility
    /// role, Herald's id and icon, and the name "Herald" (instead of the
    /// plugin's "ALSA plug-in [heraldd]"), where pavucontrol and role
    /// policies look for them.
    @Test func theSoundServerSeesHeraldsNameRoleAndId() async throws {
        let server = try #require(PrivatePulseAudio.current?.server)
        let capture = try config.makeCapture(paced: true)
        let run = try DaemonRun(name: "identity")
        let file = try run.writeConfig("[audio]\ndevice = \"\(capture.name)\"\n")
        let bus = try SessionBus(in: run.folder)
        let daemon = try run.start(["--config", file, "--say", SampleText.paragraphs], bus: bus)
        let deadline = ContinuousClock.now + .seconds(15).timingScaled
        while capture.framesWritten < 22050 / 2, daemon.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(capture.framesWritten >= 22050 / 2, "heraldd did not speak within 15 s:\n\(run.output)")
        let listed = try #require(
            try await runCommand(try ChildProcess.find("pactl"), ["-s", server, "list", "sink-inputs"]))
        print("pactl list sink-inputs while heraldd speaks:\n\(listed.output)")
        for property in [
            #"media.role = "a11y""#, #"application.id = "org.herald.Herald""#, #"application.name = "Herald""#,
            #"application.icon_name = "preferences-desktop-accessibility""#,
        ] {
            #expect(listed.output.contains(property), "\(property) missing")
        }
        daemon.send(SIGTERM)
        #expect(await daemon.exited(within: .seconds(5)))
    }

    /// heraldd's tasks run on its own pool and timer thread, never on
    /// libdispatch's worker pool, whose monitor would wake the daemon every
    /// second for good; and once it has spoken, those threads stay asleep.
    @Test func speakingStartsNoLibdispatchThreadAndLeavesThePoolAsleep() async throws {
        let capture = try config.makeCapture()
        let run = try DaemonRun(name: "threads")
        let file = try run.writeConfig("[audio]\ndevice = \"\(capture.name)\"\n")
        let bus = try SessionBus(in: run.folder)
        let daemon = try run.start(["--config", file, "--say", "Hello there. How are you?"], bus: bus)
        let deadline = ContinuousClock.now + .seconds(15)
        while capture.framesWritten < 22050 / 2, daemon.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(capture.framesWritten >= 22050 / 2, "heraldd did not speak within 15 s:\n\(run.output)")
        try await Task.sleep(for: .seconds(2))  // past the end of the sentence and the engine's watchdog

        let threads = DaemonThreads(pid: daemon.pid)
        let names = threads.names
        print("heraldd threads: \(names.sorted())")
        // ThreadSanitizer's runtime adds a background thread of its own, unnamed.
        let unnamedAllowed = TimingScale.sanitizer == "thread" ? 2 : 1
        #expect(
            names.filter { $0 == "heraldd" }.count <= unnamedAllowed, "an unnamed thread besides main: \(names.sorted())")
        #expect(
            names.allSatisfy { $0.hasPrefix("herald") || $0.hasPrefix("NIO-") },
            "a thread that is not Herald's or swift-nio's (libdispatch's?): \(names.sorted())")
        #expect(names.contains("herald-pool-1") && names.contains("herald-timer"))

        let before = threads.switches
        try await Task.sleep(for: .seconds(2))
        let woken = threads.switches.filter { name, count in
            ["herald-pool", "herald-timer", "herald-signals"].contains { name.hasPrefix($0) } && count != before[name]
        }
        #expect(woken.isEmpty, "woken while nothing was said: \(woken) (before: \(before))")
        daemon.send(SIGTERM)
        #expect(await daemon.exited(within: .seconds(5)))
    }
}

/// What a silent heraldd costs PipeWire, on both paths desktops use: nothing.
/// Between messages heraldd keeps its stream open (reopening costs first
/// audio a millisecond) but stopped, so the stream goes idle, WirePlumber
/// suspends the sink and the server's graph stops; a stream left running
/// (as Speech Dispatcher's was reported to) keeps the graph waking the
/// server hundreds of times a second and drains a laptop's battery.
@Suite(.serialized, .privatePipeWire)
struct IdleDaemonOnPipeWireTests {
    /// The PCMs that reach the private PipeWire directly, as a desktop's
    /// `default` does: the pulse plugin on pipewire-pulse, and pipewire-alsa's plugin.
    @Test(arguments: ["heraldpwpulse", "heraldpipewire"])
    func aSilentHeraldLetsTheSinkSuspendAndTheServerSleep(device: String) async throws {
        if device == "heraldpipewire" {
            try #require(
                ALSATestConfig.pipewirePlugin != nil,
                "pipewire-alsa's plugin is neither installed nor unpacked; run packaging/install-deps.sh --test")
        }
        let server = try #require(PrivatePipeWire.current)
        let pids = server.serverProcessIDs
        let graph = try ["pipewire", "pipewire-pulse"].map { try #require(pids[$0], "no \($0) among \(pids)") }
        let suspendedWithin = Duration.seconds(20).timingScaled
        // The suite's probe, or the previous test, may still hold the sink awake.
        let quietBefore = await waitForSink(server, "SUSPENDED", within: suspendedWithin)
        try #require(quietBefore, "the sink never suspended before heraldd started")

        let run = try DaemonRun(name: "idle-\(device)")
        let file = try run.writeConfig("[audio]\ndevice = \"\(device)\"\n")
        let bus = try SessionBus(in: run.folder)
        let daemon = try run.start(["--config", file, "--say", "Hello there. How are you?"], bus: bus)
        let spoke = await waitForSink(server, "RUNNING", within: .seconds(15).timingScaled)
        try #require(spoke, "heraldd's speech never set the sink running:\n\(run.output)")
        let spokeAt = ContinuousClock.now
        let suspended = await waitForSink(server, "SUSPENDED", within: suspendedWithin)
        let streamsThen = try await server.sinkInputs()
        // Measured either way, so a failure says what the running graph costs.
        #expect(
            suspended, "the sink still runs \(suspendedWithin) after heraldd spoke: its stream keeps the graph going:\n\(streamsThen)")
        let suspendedAfter = ContinuousClock.now - spokeAt
        // heraldd closes its device only after 30 s of silence: the stream is
        // still open, so this is the idle state between messages.
        let streams = try await server.sinkInputs()
        #expect(streams.contains(#"application.id = "org.herald.Herald""#), "heraldd's stream is gone:\n\(streams)")

        let window = Duration.seconds(3)
        let serverBefore = graph.compactMap { processContextSwitches(pid: $0) }.reduce(0, +)
        let heraldBefore = processContextSwitches(pid: daemon.pid) ?? 0
        try await Task.sleep(for: window)
        let serverWoke = graph.compactMap { processContextSwitches(pid: $0) }.reduce(0, +) - serverBefore
        let heraldWoke = (processContextSwitches(pid: daemon.pid) ?? 0) - heraldBefore
        let stateAfter = try await server.sinkState()
        print(
            "\(device): sink \(suspended ? "suspended" : "still not suspended") \(suspendedAfter) after speech began; "
                + "over \(window) of silence: "
                + "pipewire + pipewire-pulse woke \(serverWoke) times, heraldd \(heraldWoke); sink \(stateAfter ?? "?")")
        // A running graph wakes them at least once per quantum (90 a second at
        // the largest, 1024 frames at 48 kHz); a suspended one hardly at all.
        #expect(serverWoke < 30, "PipeWire woke \(serverWoke) times in \(window) while heraldd was silent")
        #expect(stateAfter == "SUSPENDED")
        daemon.send(SIGTERM)
        #expect(await daemon.exited(within: .seconds(5)))
    }

    /// Polls the null sink until it is in `state`; false if it is not within `patience`.
    private func waitForSink(_ server: PrivatePipeWire, _ state: String, within patience: Duration) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline {
            if (try? await server.sinkState()) == state { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// The threads of a running process, from /proc.
private struct DaemonThreads {
    let pid: pid_t

    private var tasks: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    }

    private func read(_ task: String, _ file: String) -> String {
        (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/\(file)", encoding: .utf8)) ?? ""
    }

    var names: [String] { tasks.map { read($0, "comm").trimmingCharacters(in: .whitespacesAndNewlines) } }

    /// Context switches (voluntary and not) by thread name; a thread that
    /// sleeps and is woken switches at least once.
    var switches: [String: Int] {
        var result: [String: Int] = [:]
        for task in tasks {
            let name = read(task, "comm").trimmingCharacters(in: .whitespacesAndNewlines)
            let count = read(task, "status").split(separator: "\n")
                .filter { $0.contains("ctxt_switches") }
                .compactMap { $0.split(separator: "\t").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
                .reduce(0, +)
            result["\(name)/\(task)"] = count
        }
        return result
    }
}

/// One run of `heraldd` in a folder of its own: its config and its output.
private struct DaemonRun {
    let folder: URL

    init(name: String) throws {
        folder = ALSATestConfig.shared.directory.appendingPathComponent("heraldd-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func writeConfig(_ text: String) throws -> String {
        let path = folder.appendingPathComponent("config.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the built `heraldd` on `bus` (nil: an address where no bus
    /// listens); throws, saying to run `swift build`, if it is not built.
    func start(_ arguments: [String], bus: SessionBus?) throws -> ChildProcess {
        var environment = ALSATestConfig.shared.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus?.address ?? "unix:path=\(folder.path)/no-bus"
        // Its own runtime folder, so its SSIP socket never meets another test's daemon.
        environment["XDG_RUNTIME_DIR"] = folder.path
        return try ChildProcess(
            try BuiltExecutable.path("heraldd"), arguments, environment: environment,
            logPath: folder.appendingPathComponent("stdout.log").path,
            errorPath: folder.appendingPathComponent("stderr.log").path)
    }

    var standardError: String { read("stderr.log") }
    var output: String { "--- stdout ---\n\(read("stdout.log"))--- stderr ---\n\(read("stderr.log"))" }

    private func read(_ name: String) -> String {
        (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
}

/// A `dbus-daemon` for one `heraldd` run, so the daemon serves D-Bus as it
/// would in a session without touching the user's bus. (HeraldDBusTests has a
/// fuller `PrivateBus`; this needs only an address.)
private final class SessionBus {
    let address: String
    private let daemon: ChildProcess

    init(in folder: URL) throws {
        let socket = folder.appendingPathComponent("bus").path
        address = "unix:path=\(socket)"
        daemon = try ChildProcess(
            try ChildProcess.find("dbus-daemon"),
            ["--session", "--nofork", "--nopidfile", "--address=\(address)"],
            environment: ProcessInfo.processInfo.environment,
            logPath: folder.appendingPathComponent("dbus-daemon.log").path)
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) {
            guard daemon.isRunning, ContinuousClock.now < deadline else {
                throw ChildProcess.SpawnError(description: "dbus-daemon did not listen on \(socket) within 10 s")
            }
            usleep(5_000)
        }
    }

    deinit { daemon.terminate() }
}
