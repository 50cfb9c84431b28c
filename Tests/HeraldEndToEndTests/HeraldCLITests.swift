import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// Runs the built `herald` with `environment`, for at most `timeout`.
func herald(_ arguments: [String], environment: [String: String], timeout: Duration = .seconds(30)) async throws
    -> CommandResult
{
    try #require(try await runCommand(try BuiltExecutable.path("herald"), arguments, environment: environment, timeout: timeout))
}

/// The `herald` CLI from end to end, as a user runs it in a shell.
@Suite struct HeraldCLITests {
    @Test func speakWaitPlaysHelloAndExitsZero() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-hello")
        let result = try await herald(["speak", "--wait", "hello"], environment: daemon.environment)
        print("herald speak --wait hello: exit \(result.status) after \(result.duration)")
        #expect(result.status == 0, "\(result)\n\(daemon.log)")
        #expect(result.output.isEmpty && result.errorOutput.isEmpty, "\(result)")
        #expect(await daemon.stop() == 0)
        let wav = try daemon.capture.wav()
        print("herald speak hello: captured \(wav.seconds) s, RMS \(wav.rms())")
        #expect(wav.seconds > 0.2 && wav.seconds < 3, "\(wav.seconds) s for hello")
        #expect(wav.rms() > 0.02)
    }

    @Test func statusShowsTheState() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-status")
        let result = try await herald(["status"], environment: daemon.environment)
        print("herald status (\(result.duration)):\n\(result.output)")
        #expect(result.status == 0, "\(result)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("daemon: running") == true, "\(result)")
        #expect(lines.contains("state: idle"), "\(result)")
        #expect(lines.contains("queued: 0"), "\(result)")
        #expect(lines.contains("engine: espeak-ng"), "\(result)")
        #expect(lines.contains("config: \(daemon.configPath)"), "\(result)")
        #expect(await daemon.stop() == 0)
    }

    @Test func voicesPrintsATable() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-voices")
        let result = try await herald(["voices"], environment: daemon.environment)
        #expect(result.status == 0, "\(result)")
        let lines = result.output.split(separator: "\n").map(String.init)
        print("herald voices: \(lines.count) lines, e.g.\n\(lines.prefix(3).joined(separator: "\n"))")
        let header = try #require(lines.first)
        #expect(header.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "NAME", "LANGUAGE", "ENGINE", "KIND"], "\(header)")
        #expect(lines.count > 10)
        // Columns line up: the ENGINE column starts at the same place on every line.
        let engineColumn = try #require(header.range(of: "ENGINE")).lowerBound.utf16Offset(in: header)
        for line in lines.dropFirst() {
            let start = line.index(line.startIndex, offsetBy: engineColumn, limitedBy: line.endIndex) ?? line.endIndex
            #expect(line[start...].hasPrefix("espeak-ng "), "misaligned row: \(line)")
        }
        #expect(await daemon.stop() == 0)
    }

    @Test func speakWithAnUnknownVoiceFailsWithOneLine() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-voice")
        let result = try await herald(["speak", "--voice", "nope", "x"], environment: daemon.environment)
        print("herald speak --voice nope x: exit \(result.status), stderr: \(result.errorOutput)")
        #expect(result.status != 0)
        let lines = result.errorOutput.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line on stderr: \(result.errorOutput.debugDescription)")
        #expect(result.errorOutput.hasPrefix("herald: "), "\(result)")
        #expect(result.errorOutput.contains("nope"), "\(result)")
        #expect(result.output.isEmpty)

        let empty = try await herald(["speak", "  "], environment: daemon.environment)
        #expect(empty.status != 0)
        #expect(empty.errorOutput.split(separator: "\n").count == 1, "\(empty)")
        let priority = try await herald(["speak", "--priority", "urgent", "x"], environment: daemon.environment)
        #expect(priority.status != 0, "\(priority)")
        #expect(daemon.process.isRunning)
        #expect(await daemon.stop() == 0)
    }

    @Test func speakStartsTheDaemonFromItsOwnFolderWhenNoneRuns() async throws {
        let bus = try await PrivateBus.launch()
        defer { bus.stop() }
        let (folder, capture, environment) = try Self.bareSession(bus: bus, name: "cli-autostart")
        let watcher = try await DBusConnection.connect(address: bus.address)
        #expect(try await watcher.nameHasOwner(HeraldDaemonProcess.busName) == false)

        let result = try await herald(["speak", "--wait", "hi"], environment: environment, timeout: .seconds(40))
        print("herald speak --wait hi, daemon started on demand: exit \(result.status) after \(result.duration)")
        #expect(result.status == 0, "\(result)\n--- heraldd.log ---\n\(folder.read("run/herald/heraldd.log"))")

        // The daemon now owns the name; it is the heraldd built beside herald.
        let pidReply = try await watcher.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "GetConnectionUnixProcessID", arguments: [.string(HeraldDaemonProcess.busName)])
        let pid = try #require(pidReply.first?.uint32.map { pid_t($0) }, "\(pidReply)")
        defer { Self.end(pid) }
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        #expect(
            URL(fileURLWithPath: executable).resolvingSymlinksInPath().path
                == URL(fileURLWithPath: try BuiltExecutable.path("heraldd")).resolvingSymlinksInPath().path)
        #expect(FileManager.default.fileExists(atPath: folder.runtime.appendingPathComponent("herald/heraldd.log").path))

        // A second speak reuses it.
        let again = try await herald(["speak", "--wait", "hi"], environment: environment)
        #expect(again.status == 0, "\(again)")
        let owner = try await watcher.call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "GetConnectionUnixProcessID", arguments: [.string(HeraldDaemonProcess.busName)])
        #expect(owner.first?.uint32.map { pid_t($0) } == pid, "a second daemon was started")

        await watcher.close()
        Self.end(pid)
        let deadline = ContinuousClock.now + .seconds(5)
        while !isGone(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(isGone(pid), "the started heraldd did not end on SIGTERM")
        let wav = try capture.wav()
        #expect(wav.seconds > 0.2 && wav.rms() > 0.02, "\(wav.seconds) s, RMS \(wav.rms())")
    }

    @Test(arguments: ["stop", "cancel", "pause", "resume", "status"])
    func controlsWithoutADaemonExitZeroAndStartNone(command: String) async throws {
        let bus = try await PrivateBus.launch()
        defer { bus.stop() }
        let (folder, _, environment) = try Self.bareSession(bus: bus, name: "cli-\(command)-idle")
        let watcher = try await DBusConnection.connect(address: bus.address)
        let owners = try await watcher.nameOwnerChanges(for: HeraldDaemonProcess.busName)

        let result = try await herald([command], environment: environment)
        print("herald \(command) without a daemon: exit \(result.status) after \(result.duration): \(result.output)")
        #expect(result.status == 0, "\(result)")
        #expect(result.errorOutput.isEmpty, "\(result)")
        if command == "status" { #expect(result.output.contains("not running"), "\(result)") }

        // Nothing takes the name in the next second (a started heraldd would within ~0.3 s).
        let appeared = await anOwnerAppears(in: owners, within: .seconds(1))
        #expect(!appeared, "herald \(command) started a daemon")
        #expect(try await watcher.nameHasOwner(HeraldDaemonProcess.busName) == false)
        #expect(!FileManager.default.fileExists(atPath: folder.runtime.appendingPathComponent("herald/heraldd.log").path))
        await watcher.close()
    }

    /// A session with a bus but no daemon: its own config home (the test ALSA
    /// config plus `herald/config.toml` naming a fresh capture PCM), because a
    /// daemon the CLI starts takes no `--config`.
    static func bareSession(bus: PrivateBus, name: String) throws -> (RunFolder, ALSATestConfig.CapturePCM, [String: String]) {
        let folder = try RunFolder(name: name)
        let capture = try ALSATestConfig.shared.makeCapture()
        let configHome = folder.url.appendingPathComponent("config", isDirectory: true)
        try FileManager.default.createDirectory(at: configHome, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: configHome.appendingPathComponent("alsa"),
            withDestinationURL: ALSATestConfig.shared.directory.appendingPathComponent("alsa"))
        try folder.write("config/herald/config.toml", "[audio]\ndevice = \"\(capture.name)\"\n")
        var environment = folder.environment(bus: bus)
        environment["XDG_CONFIG_HOME"] = configHome.path
        return (folder, capture, environment)
    }

    /// Ends a daemon the CLI started (not our child): SIGTERM, SIGKILL if it lingers.
    static func end(_ pid: pid_t) {
        guard !isGone(pid) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 where !isGone(pid) { usleep(10_000) }
        if !isGone(pid) { kill(pid, SIGKILL) }
    }
}

/// `herald cancel` while `herald speak --wait` speaks a long text, on the
/// paced device where speech takes real time.
@Suite(.privatePulseAudio)
struct HeraldCLICancelTests {
    @Test func cancelDuringALongSpeakStopsIt() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-cancel", paced: true)
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let rate = 22050

        let speaker = try ChildProcess(
            try BuiltExecutable.path("herald"), ["speak", "--wait", SampleText.long], environment: daemon.environment,
            logPath: daemon.folder.path("speak.out"), errorPath: daemon.folder.path("speak.err"))
        defer { speaker.terminate() }
        let started = ContinuousClock.now
        var began: SpeechSignalLog.Entry?
        while began == nil || daemon.capture.framesWritten < rate / 2, ContinuousClock.now < started + .seconds(15) {
            began = signals.all.first { $0.member == "Began" }
            try await Task.sleep(for: .milliseconds(10))
        }
        let id = try #require(began?.id, "herald speak did not begin within 15 s:\n\(daemon.folder.read("speak.err"))\n\(daemon.log)")
        try #require(daemon.capture.framesWritten >= rate / 2, "less than 0.5 s played in 15 s")
        print("herald speak (long): Began \(began!.at - started) after start")

        let status = try await herald(["status"], environment: daemon.environment)
        #expect(status.output.contains("state: speaking"), "\(status)")
        #expect(status.output.contains("speaking: \(id)"), "\(status)")

        let cancel = try await herald(["cancel"], environment: daemon.environment)
        let afterCancel = daemon.capture.framesWritten
        #expect(cancel.status == 0, "\(cancel)")
        let canceled = await signals.waitForEnd(of: id, timeout: .seconds(5))
        #expect(canceled?.member == "Canceled", "\(signals.sequence(for: id))")
        try await Task.sleep(for: .milliseconds(500))
        let grown = daemon.capture.framesWritten - afterCancel
        print(
            "herald cancel: exit \(cancel.status) after \(cancel.duration); \(Double(grown) / Double(rate) * 1000) ms "
                + "of audio written after it returned")
        #expect(grown < rate / 10, "audio kept coming after herald cancel: \(grown) frames")

        let exited = await speaker.exited(within: .seconds(5))
        let message = daemon.folder.read("speak.err")
        print("herald speak --wait after cancel: exit \(speaker.exitCode.map(String.init) ?? "-"), stderr: \(message)")
        #expect(exited, "herald speak --wait still runs 5 s after the cancel")
        #expect(speaker.exitCode.map { $0 != 0 } == true)
        #expect(message.contains("canceled"), "\(message)")
        #expect(message.split(separator: "\n").count == 1)

        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func ctrlCOnAWaitingSpeakCancelsTheMessage() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "cli-sigint", paced: true)
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        let speaker = try ChildProcess(
            try BuiltExecutable.path("herald"), ["speak", "--wait", SampleText.long], environment: daemon.environment,
            logPath: daemon.folder.path("speak.out"), errorPath: daemon.folder.path("speak.err"))
        defer { speaker.terminate() }
        let deadline = ContinuousClock.now + .seconds(15)
        var began = signals.all.first { $0.member == "Began" }
        while began == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            began = signals.all.first { $0.member == "Began" }
        }
        let id = try #require(began?.id, "herald speak did not begin within 15 s:\n\(daemon.log)")

        speaker.send(SIGINT)
        let canceled = await signals.waitForEnd(of: id, timeout: .seconds(5))
        #expect(canceled?.member == "Canceled", "\(signals.sequence(for: id))")
        #expect(await speaker.exited(within: .seconds(5)), "herald speak --wait still runs after Ctrl-C")
        #expect(speaker.exitCode.map { $0 != 0 } == true)
        #expect(daemon.folder.read("speak.err").contains("interrupted; the message was canceled"))

        await monitor.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
