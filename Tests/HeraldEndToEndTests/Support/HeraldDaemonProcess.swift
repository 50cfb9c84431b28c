import Foundation
import Glibc
import HeraldDBus
import HeraldTesting
import Testing

/// The built `heraldd` run as a user's session runs it, on a private bus of
/// its own: a child process with a config file naming a capture PCM, the
/// test process's ALSA config (`XDG_CONFIG_HOME`), and a private 0700
/// `XDG_RUNTIME_DIR`, so that nothing is shared with other tests or the user.
///
/// `start` returns once the daemon owns `org.herald.Speech1`, awaited through
/// the bus's NameOwnerChanged signal rather than slept for. `stop()` ends it
/// with SIGTERM and returns its exit code; if a test fails before that, the
/// daemon and the bus are killed when this object goes away.
final class HeraldDaemonProcess: @unchecked Sendable {
    static let busName = "org.herald.Speech1"
    static let objectPath = "/org/herald/Speech1"
    static let interface = "org.herald.Speech1"
    static let errorPrefix = "org.herald.Speech1.Error."

    let bus: PrivateBus
    let folder: RunFolder
    let capture: ALSATestConfig.CapturePCM
    let configPath: String
    let process: ChildProcess
    /// From spawning the process to its owning the name.
    let startup: Duration

    /// The daemon of the enclosing `.heraldDaemon` suite.
    @TaskLocal static var current: HeraldDaemonProcess?

    private init(
        bus: PrivateBus, folder: RunFolder, capture: ALSATestConfig.CapturePCM, configPath: String,
        process: ChildProcess, startup: Duration
    ) {
        self.bus = bus
        self.folder = folder
        self.capture = capture
        self.configPath = configPath
        self.process = process
        self.startup = startup
    }

    /// Starts a bus and `heraldd` on it, playing into a fresh capture PCM
    /// (`paced`: through the private PulseAudio, so the suite needs `.privatePulseAudio`).
    /// Config text for heraldd on the fake Workers AI with `models` in fallback order.
    static func cloudConfig(_ fake: FakeWorkersAI, models: [String]) -> String {
        """
        [cloudflare]
        account_id = "\(fake.accountID)"
        api_token = "\(fake.token)"
        base_url = "\(fake.baseURL)"

        """ + models.map { "[[engine]]\nmodel = \"\($0)\"\n" }.joined(separator: "\n")
    }

    /// `config` is appended to the file after its `[audio]` table; the file
    /// gets `configMode`. `arguments` follow `--config`; `environment` is added
    /// to the run folder's. `signalWhileStarting` is sent 50 ms after the
    /// spawn, while the daemon is still starting (it owns no name yet).
    static func start(
        name: String, paced: Bool = false, config: String = "", configMode: Int = 0o600, arguments: [String] = [],
        environment extraEnvironment: [String: String] = [:], signalWhileStarting: Int32? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> HeraldDaemonProcess {
        let capture = try ALSATestConfig.shared.makeCapture(paced: paced)
        let folder = try RunFolder(name: name)
        let configPath = try folder.write("config.toml", "[audio]\ndevice = \"\(capture.name)\"\n" + config)
        try FileManager.default.setAttributes([.posixPermissions: configMode], ofItemAtPath: configPath)
        let bus = try await PrivateBus.launch()
        let watcher = try await DBusConnection.connect(address: bus.address)
        defer { Task { await watcher.close() } }
        // Subscribed before the spawn: the name cannot appear unseen.
        let owners = try await watcher.nameOwnerChanges(for: busName)
        let started = ContinuousClock.now
        let process = try ChildProcess(
            try BuiltExecutable.path("heraldd"), ["--config", configPath] + arguments,
            environment: folder.environment(bus: bus).merging(extraEnvironment) { $1 },
            logPath: folder.path("heraldd.out"), errorPath: folder.path("heraldd.err"))
        if let signal = signalWhileStarting {
            try await Task.sleep(for: .milliseconds(50))
            process.send(signal)
        }
        var owned = try await watcher.nameHasOwner(busName)
        if !owned { owned = await firstOwner(owners, while: process, timeout: timeout) }
        guard owned else {
            process.send(SIGKILL)
            _ = await process.exited(within: .seconds(5))
            bus.stop()
            throw ChildProcess.SpawnError(
                description: "heraldd did not own \(busName) within \(timeout) (exit \(process.exitCode.map(String.init) ?? "-")):\n"
                    + folder.read("heraldd.err"))
        }
        return HeraldDaemonProcess(
            bus: bus, folder: folder, capture: capture, configPath: configPath, process: process,
            startup: ContinuousClock.now - started)
    }

    /// Waits until the SSIP socket accepts a connection (one that it closes at
    /// once). heraldd owns its bus name, which is its second-instance check,
    /// before it binds SSIP, so `start` returning does not mean SSIP is up.
    func waitForSSIP(timeout: Duration = .seconds(10)) async -> Bool {
        let timeout = timeout.timingScaled
        let path = folder.runtime.appendingPathComponent("herald/ssip.sock").path
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if Self.accepts(unixSocket: path) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private static func accepts(unixSocket path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// The environment a client (`herald`, `gdbus`) of this daemon runs with.
    var environment: [String: String] { folder.environment(bus: bus) }

    /// What the daemon wrote on stderr (its log).
    var log: String { folder.read("heraldd.err") }

    /// A new client connection to the daemon's bus.
    func connect() async throws -> SpeechClient {
        SpeechClient(connection: try await DBusConnection.connect(address: bus.address))
    }

    /// SIGTERM, then SIGKILL after `grace`; then the bus. Returns the exit
    /// code (nil when a signal ended it). Safe to call twice.
    @discardableResult
    func stop(grace: Duration = .seconds(5)) async -> Int32? {
        process.send(SIGTERM)
        if !(await process.exited(within: grace)) {
            process.send(SIGKILL)
            _ = await process.exited(within: .seconds(5))
        }
        bus.stop()
        return process.exitCode
    }

    /// True once `changes` shows a new owner; false when `process` exits or `timeout` passes first.
    private static func firstOwner(
        _ changes: AsyncStream<DBusNameOwnerChange>, while process: ChildProcess, timeout: Duration
    ) async -> Bool {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        let pid = process.pid
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await change in changes where change.newOwner != nil { return true }
                return false
            }
            group.addTask {
                // The child's exit ends the wait early. Checks for cancellation:
                // a cancelled sleep returns at once, and the loop would spin.
                while ContinuousClock.now < deadline, !Task.isCancelled {
                    if isGone(pid) { return false }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

/// Whether process `pid` has exited (gone, or a zombie not yet reaped).
/// True when `owners` reports a new owner within `time`: a command that must
/// not start heraldd is watched this long (a started one owns the name in about 0.3 s).
func anOwnerAppears(in owners: AsyncStream<DBusNameOwnerChange>, within time: Duration) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await change in owners where change.newOwner != nil { return true }
            return false
        }
        group.addTask {
            try? await Task.sleep(for: time)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}

func isGone(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    // The state follows the parenthesised command name: "pid (comm) S …".
    guard let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// A folder of one test's own under the test run's temporary folder: config
/// files, the daemon's output, and a 0700 `XDG_RUNTIME_DIR` (where heraldd
/// puts its SSIP socket and the CLI its daemon log).
struct RunFolder: Sendable {
    let url: URL
    let runtime: URL

    init(name: String) throws {
        url = ALSATestConfig.shared.directory.appendingPathComponent("e2e-\(name)-\(UUID().uuidString.prefix(8))")
        runtime = url.appendingPathComponent("run", isDirectory: true)
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: runtime.path)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // Private, as a config that may hold a token must be (heraldd refuses an open one's token).
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }

    /// The test process's ALSA config, this bus, this runtime folder, and a
    /// state folder of its own (where `herald` keeps reading positions).
    func environment(bus: PrivateBus) -> [String: String] {
        var environment = ALSATestConfig.shared.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        environment["XDG_RUNTIME_DIR"] = runtime.path
        environment["XDG_STATE_HOME"] = url.appendingPathComponent("state").path
        return environment
    }
}

/// Runs a suite with one `heraldd` (`HeraldDaemonProcess.current`) on a
/// private bus, started before its first test and stopped after its last.
struct HeraldDaemonTrait: SuiteTrait, TestScoping {
    let name: String

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let daemon = try await HeraldDaemonProcess.start(name: name)
        do {
            try await HeraldDaemonProcess.$current.withValue(daemon) { try await function() }
        } catch {
            await daemon.stop()
            throw error
        }
        let exit = await daemon.stop()
        #expect(exit == 0, "heraldd did not exit cleanly on SIGTERM:\n\(daemon.log)")
    }
}

extension Trait where Self == HeraldDaemonTrait {
    /// One `heraldd` on a private bus for the whole suite.
    static func heraldDaemon(_ name: String) -> Self { HeraldDaemonTrait(name: name) }
}
