import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// `herald doctor` against a real setup: heraldd on a private bus with the
/// fake Workers AI, a capture PCM, Xvfb with xclip. The healthy setup passes;
/// each broken piece gets its ✗ (or !) line with what to do, the exit code
/// says whether anything needed is broken, and the token never shows.
@Suite struct DoctorTests {
    /// A daemon configured for the fake Workers AI through a token file, and
    /// the environment `herald doctor` runs in: the same config as
    /// `$XDG_CONFIG_HOME/herald/config.toml`, the daemon's bus and runtime
    /// folder, an X display.
    struct Setup {
        let fake: FakeWorkersAI
        let daemon: HeraldDaemonProcess
        let x: PrivateXServer
        let tokenFile: String
        var environment: [String: String]

        static func start(
            name: String, tokenMode: Int = 0o600, token: String? = nil, device: String? = nil, extraEngine: String = ""
        ) async throws -> Setup {
            let fake = try await FakeWorkersAI.start()
            let x = try await PrivateXServer.launch()
            let tokenFolder = try RunFolder(name: "\(name)-token")
            let tokenFile = try tokenFolder.write("token", (token ?? fake.token) + "\n")
            try FileManager.default.setAttributes([.posixPermissions: tokenMode], ofItemAtPath: tokenFile)
            let cloud = """

                [cloudflare]
                account_id = "\(fake.accountID)"
                api_token_file = "\(tokenFile)"
                base_url = "\(fake.baseURL)"

                [[engine]]
                model = "@cf/deepgram/aura-2-en"
                \(extraEngine)
                [[engine]]
                model = "espeak-ng"
                """
            let daemon = try await HeraldDaemonProcess.start(name: name, config: cloud)
            var text = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            if let device { text = text.replacingOccurrences(of: daemon.capture.name, with: device) }
            let environment = try DoctorTests.configHome(text, folder: daemon.folder, environment: x.environment(daemon.environment))
            return Setup(fake: fake, daemon: daemon, x: x, tokenFile: tokenFile, environment: environment)
        }

        /// - Parameter editedConfig: check the config the test wrote in
        ///   `XDG_CONFIG_HOME` (`--config`), as a user checks a file they
        ///   edited, rather than the file the running daemon reads.
        func doctor(
            _ arguments: [String] = [], environment: [String: String]? = nil, editedConfig: Bool = true
        ) async throws -> CommandResult {
            let environment = environment ?? self.environment
            let config = editedConfig ? ["--config", environment["XDG_CONFIG_HOME", default: ""] + "/herald/config.toml"] : []
            let result = try await herald(["doctor"] + arguments + config, environment: environment, timeout: .seconds(60))
            print("herald doctor \(arguments.joined(separator: " ")): exit \(result.status) after \(result.duration)\n\(result.output)\(result.errorOutput)")
            #expect(!result.output.contains(fake.token) && !result.errorOutput.contains(fake.token), "the token was printed")
            return result
        }

        func stop() async {
            #expect(await daemon.stop() == 0, "\(daemon.log)")
            await fake.stop()
            x.stop()
        }
    }

    /// `environment` with `XDG_CONFIG_HOME` holding `herald/config.toml` (this
    /// text) and the test ALSA config, as a user's config folder holds both.
    static func configHome(_ config: String, folder: RunFolder, environment: [String: String]) throws -> [String: String] {
        let home = folder.url.appendingPathComponent("doctor-config-\(UUID().uuidString.prefix(4))", isDirectory: true)
        try FileManager.default.createDirectory(at: home.appendingPathComponent("herald"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: home.appendingPathComponent("alsa"), withDestinationURL: ALSATestConfig.shared.directory.appendingPathComponent("alsa"))
        let path = home.appendingPathComponent("herald/config.toml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        var environment = environment
        environment["XDG_CONFIG_HOME"] = home.path
        return environment
    }

    /// The printed line of `check` (`✓ check: …`), and the fix line after it.
    static func line(_ check: String, in output: String) -> (line: String, fix: String?)? {
        let lines = output.split(separator: "\n").map(String.init)
        guard let index = lines.firstIndex(where: { $0.dropFirst(2).hasPrefix(check + ":") }) else { return nil }
        let next: String? = lines.indices.contains(index + 1) && lines[index + 1].hasPrefix("  → ") ? lines[index + 1] : nil
        return (lines[index], next)
    }

    static func expectLine(
        _ mark: String, _ check: String, in result: CommandResult, containing words: [String] = [], fixContaining fix: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let found = line(check, in: result.output) else {
            Issue.record("no line for \(check):\n\(result.output)", sourceLocation: sourceLocation)
            return
        }
        #expect(found.line.hasPrefix(mark + " "), "\(found.line)", sourceLocation: sourceLocation)
        for word in words { #expect(found.line.contains(word), "\(found.line) lacks \(word)", sourceLocation: sourceLocation) }
        for word in fix {
            #expect(found.fix?.contains(word) == true, "fix \(found.fix ?? "none") lacks \(word)", sourceLocation: sourceLocation)
        }
    }

    @Test func aHealthySetupPassesEveryCheck() async throws {
        let setup = try await Setup.start(name: "doctor-healthy")
        let before = setup.fake.requests.count
        // Without --config: the file the running daemon reads, named as such.
        let result = try await setup.doctor(editedConfig: false)
        #expect(result.status == 0, "\(result)\n\(setup.daemon.log)")
        Self.expectLine("✓", "config", in: result, containing: [setup.daemon.configPath, "(the running daemon's)"])
        #expect(!result.output.contains("✗"), "\(result.output)")
        #expect(!result.output.contains("\u{1B}["), "colours when not a terminal")
        for check in ["config", "session bus", "audio device", "espeak-ng", "credentials", "clipboard", "SSIP socket"] {
            Self.expectLine("✓", check, in: result)
        }
        Self.expectLine("✓", "daemon", in: result, containing: ["running", "pid \(setup.daemon.process.pid)", "interface version 2"])
        Self.expectLine("✓", "audio device", in: result, containing: [setup.daemon.capture.name])
        Self.expectLine("✓", "credentials", in: result, containing: [setup.fake.accountID, setup.tokenFile, "mode 0600"])
        Self.expectLine("✓", "Workers AI", in: result, containing: ["accepted the token"])
        Self.expectLine("✓", "engine @cf/deepgram/aura-2-en", in: result, containing: ["ready"])
        Self.expectLine("✓", "engine espeak-ng", in: result, containing: ["ready"])
        Self.expectLine("✓", "clipboard", in: result, containing: ["xclip", "X11"])
        #expect(result.output.hasSuffix("Everything Herald needs is in place.\n"), "\(result.output)")
        // One request to the service, a POST of one word with the token in its header only.
        let asked = setup.fake.requests.dropFirst(before).filter { $0.method == "POST" }
        #expect(asked.count == 1, "\(asked)")
        #expect(asked.first?.header("authorization") == "Bearer \(setup.fake.token)")

        let offline = try await setup.doctor(["--offline"])
        #expect(offline.status == 0, "\(offline)")
        Self.expectLine("–", "Workers AI", in: offline, containing: ["--offline"])
        #expect(setup.fake.requests.dropFirst(before).filter { $0.method == "POST" }.count == 1, "--offline asked the service")
        await setup.stop()
    }

    @Test func noDaemonIsReportedWithWhatWouldStartItAndNoneIsStarted() async throws {
        let bus = try await PrivateBus.launch()
        defer { bus.stop() }
        let (folder, _, environment) = try HeraldCLITests.bareSession(bus: bus, name: "doctor-nodaemon")
        let watcher = try await DBusConnection.connect(address: bus.address)
        let owners = try await watcher.nameOwnerChanges(for: HeraldDaemonProcess.busName)

        // Built beside heraldd: herald would start it, so this is a note, not a failure.
        let startable = try await herald(["doctor"], environment: environment, timeout: .seconds(60))
        print("herald doctor without a daemon: exit \(startable.status)\n\(startable.output)")
        Self.expectLine(
            "!", "daemon", in: startable, containing: ["not running", try BuiltExecutable.path("heraldd")], fixContaining: ["herald speak"])
        Self.expectLine("–", "engines", in: startable, containing: ["not running"])
        Self.expectLine("✓", "config", in: startable, containing: ["(the default; no daemon runs)"])
        Self.expectLine("–", "SSIP socket", in: startable, containing: ["appears when heraldd starts"])
        Self.expectLine("!", "clipboard", in: startable, containing: ["no graphical session"])
        #expect(startable.status == 0, "\(startable)")

        // A herald with no heraldd beside it and no activation file: nothing could start the daemon.
        let lonely = folder.path("lonely/herald")
        try FileManager.default.createDirectory(atPath: folder.path("lonely"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try BuiltExecutable.path("herald"), toPath: lonely)
        defer { try? FileManager.default.removeItem(atPath: lonely) }
        // A child forked elsewhere in this process may still hold the copy's write descriptor for a
        // moment (exec then fails with ETXTBSY; the suite's tests run in parallel, each starting
        // children): try again for up to 5 s.
        var attempt: CommandResult?
        let retryUntil = ContinuousClock.now + .seconds(5)
        while attempt == nil, ContinuousClock.now < retryUntil {
            do {
                attempt = try await runCommand(lonely, ["doctor"], environment: environment, timeout: .seconds(60))
            } catch where "\(error)".contains("Text file busy") {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let stranded = try #require(attempt)
        print("herald doctor, nothing to start the daemon: exit \(stranded.status)\n\(stranded.output)")
        Self.expectLine("✗", "daemon", in: stranded, containing: ["nothing can start it"], fixContaining: ["install Herald"])
        // Nor its espeak-ng helper: the offline voice could not start, and the check says where it looked.
        Self.expectLine(
            "✗", "espeak-ng", in: stranded, containing: ["herald-espeak is missing", "lonely/herald-espeak", "libexec/herald"],
            fixContaining: ["reinstall Herald"])
        #expect(stranded.status == 1, "\(stranded)")

        // Neither run started a daemon (a started heraldd would own the name within about 0.3 s).
        let appeared = await anOwnerAppears(in: owners, within: .seconds(1))
        #expect(!appeared, "herald doctor started a daemon")
        #expect(try await watcher.nameHasOwner(HeraldDaemonProcess.busName) == false)
        #expect(!FileManager.default.fileExists(atPath: folder.runtime.appendingPathComponent("herald/heraldd.log").path))
        await watcher.close()
    }

    @Test func aDeviceThatDoesNotExistIsNamedWithItsFix() async throws {
        let setup = try await Setup.start(name: "doctor-nodevice", device: "heraldnosuchpcm")
        let result = try await setup.doctor(["--offline"])
        Self.expectLine(
            "✗", "audio device", in: result, containing: ["heraldnosuchpcm", "Unknown PCM"], fixContaining: ["[audio] device", "aplay -L"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.isEmpty, "alsa-lib printed on stderr: \(result.errorOutput)")
        #expect(result.output.hasSuffix("1 problem to fix (marked ✗).\n"), "\(result.output)")
        await setup.stop()
    }

    /// pipewire-alsa's plugin says "Host is down" and the pulse plugin
    /// "Connection refused" when their server is not running: doctor says that.
    @Test(arguments: [
        ("heraldnopipewire", "the PipeWire sound server is not running", "systemctl --user start pipewire wireplumber"),
        ("heraldnoserver", "the sound server is not running", "systemctl --user start pulseaudio"),
    ])
    func aSoundServerThatIsNotRunningIsNamedWithHowToStartIt(device: String, problem: String, fix: String) async throws {
        if device == "heraldnopipewire" {
            try #require(ALSATestConfig.pipewirePlugin != nil, "run packaging/install-deps.sh --test")
        }
        let setup = try await Setup.start(name: "doctor-\(device)", device: device)
        let result = try await setup.doctor(["--offline"])
        Self.expectLine("✗", "audio device", in: result, containing: [device, problem], fixContaining: [fix])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.isEmpty, "alsa-lib printed on stderr: \(result.errorOutput)")
        await setup.stop()
    }

    @Test func aRefusedTokenIsReportedWithWhatToFix() async throws {
        let setup = try await Setup.start(name: "doctor-refused")
        setup.fake.inject(.unauthorized)
        let result = try await setup.doctor()
        Self.expectLine("✓", "credentials", in: result)
        Self.expectLine(
            "✗", "Workers AI", in: result, containing: ["token refused", "401"], fixContaining: ["create a token", setup.fake.accountID])
        #expect(result.status == 1, "\(result)")
        await setup.stop()
    }

    @Test func aWrongTokenIsRefusedByTheServiceAndSetAsideByTheDaemon() async throws {
        let wrong = "not-the-token-9876543210"
        let setup = try await Setup.start(name: "doctor-wrongtoken", token: wrong)
        let result = try await setup.doctor()
        Self.expectLine("✗", "Workers AI", in: result, containing: ["token refused"])
        #expect(!result.output.contains(wrong), "the wrong token was printed")
        #expect(result.status == 1, "\(result)")

        // Once the daemon met the refusal it sets the engine aside; doctor shows it without asking the service.
        let spoken = try await herald(["speak", "--wait", "Hello."], environment: setup.daemon.environment)
        #expect(spoken.status == 0, "\(spoken)\n\(setup.daemon.log)")
        let offline = try await setup.doctor(["--offline"])
        Self.expectLine(
            "✗", "engine @cf/deepgram/aura-2-en", in: offline, containing: ["set aside", "refused the credentials"],
            fixContaining: ["herald reload"])
        Self.expectLine("✓", "engine espeak-ng", in: offline)
        #expect(!offline.output.contains(wrong) && !offline.output.contains("Hello"), "\(offline.output)")
        #expect(offline.status == 1, "\(offline)")
        await setup.stop()
    }

    @Test func aTokenFileOthersCanReadIsRefusedWithChmod() async throws {
        let setup = try await Setup.start(name: "doctor-openfile", tokenMode: 0o644)
        let result = try await setup.doctor()
        Self.expectLine("✗", "credentials", in: result, containing: [setup.tokenFile, "readable by other users"], fixContaining: ["chmod 600 \(setup.tokenFile)"])
        // The daemon refused the same file, so it runs without the cloud engine; the service is not asked.
        Self.expectLine("!", "engines", in: result, containing: ["runs without @cf/deepgram/aura-2-en"])
        #expect(Self.line("Workers AI", in: result.output) == nil, "\(result.output)")
        #expect(result.status == 1, "\(result)")
        await setup.stop()
    }

    @Test func aServiceOutOfReachIsSaid() async throws {
        let setup = try await Setup.start(name: "doctor-unreachable")
        // The same config with a base URL where nothing listens (port 1 refuses at once).
        let text = try String(contentsOfFile: setup.daemon.configPath, encoding: .utf8)
            .replacingOccurrences(of: setup.fake.baseURL, with: "http://127.0.0.1:1/client/v4")
        let environment = try Self.configHome(text, folder: setup.daemon.folder, environment: setup.environment)
        let result = try await setup.doctor(environment: environment)
        Self.expectLine(
            "✗", "Workers AI", in: result, containing: ["out of reach", "127.0.0.1 port 1", "refused"], fixContaining: ["--offline"])
        #expect(result.status == 1, "\(result)")
        #expect(result.duration < .seconds(8).timingScaled, "\(result.duration)")
        await setup.stop()
    }

    @Test func noClipboardToolIsAFailureInADesktopAndANoteWithoutOne() async throws {
        let setup = try await Setup.start(name: "doctor-noclipboard")
        var bare = setup.environment
        bare["PATH"] = setup.daemon.folder.path("empty-bin")
        let missing = try await setup.doctor(["--offline"], environment: bare)
        Self.expectLine("✗", "clipboard", in: missing, containing: ["X11"], fixContaining: ["install xclip"])
        #expect(missing.status == 1, "\(missing)")

        var wayland = bare
        wayland["WAYLAND_DISPLAY"] = "wayland-herald-test"
        let noWlPaste = try await setup.doctor(["--offline"], environment: wayland)
        Self.expectLine("✗", "clipboard", in: noWlPaste, containing: ["Wayland"], fixContaining: ["wl-clipboard"])

        var headless = setup.environment
        headless["DISPLAY"] = nil
        let remote = try await setup.doctor(["--offline"], environment: headless)
        Self.expectLine("!", "clipboard", in: remote, containing: ["no graphical session"])
        #expect(remote.status == 0, "\(remote)")
        await setup.stop()
    }
}
