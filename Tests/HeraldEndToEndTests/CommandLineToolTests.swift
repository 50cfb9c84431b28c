import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// The service as a user meets it from a shell: `gdbus` (GLib) and `busctl`
/// (systemd) against the daemon on its private bus.
@Suite(.serialized, .heraldDaemon("tools"))
struct CommandLineToolTests {
    var daemon: HeraldDaemonProcess {
        get throws { try #require(HeraldDaemonProcess.current, "attach .heraldDaemon to the suite") }
    }

    func gdbus(_ arguments: [String]) async throws -> CommandResult {
        try #require(try await runCommand("/usr/bin/gdbus", arguments, environment: try daemon.environment), "gdbus is not installed")
    }

    static let target = ["--session", "-d", "org.herald.Speech1", "-o", "/org/herald/Speech1"]

    /// The id in gdbus's `(uint64 7,)`.
    static func messageID(_ output: String) -> UInt64? {
        UInt64(
            output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "(uint64 ", with: "")
                .replacingOccurrences(of: ",)", with: ""))
    }

    @Test func gdbusSpeaksAndReadsStatus() async throws {
        let monitor = try await daemon.connect()
        let signals = try await monitor.signalLog()
        // As a user first tries it: gdbus leaves the bus right after the reply,
        // and a client's messages go with it (DESIGN: "self" … goes away when
        // it leaves the bus), so this one may be canceled before it is heard.
        let speak = try await gdbus(["call"] + Self.target + ["-m", "org.herald.Speech1.Speak", "hello", "message", "{}"])
        #expect(speak.status == 0, "\(speak)")
        let id = try #require(Self.messageID(speak.output), "\(speak)")
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        print("gdbus call Speak hello message {}: \(speak.output.trimmingCharacters(in: .whitespacesAndNewlines)) in \(speak.duration); signals \(signals.sequence(for: id))")
        #expect(end != nil)

        // With a client name the message outlives the gdbus process and is spoken.
        let named = try await gdbus(
            ["call"] + Self.target + ["-m", "org.herald.Speech1.Speak", "hello", "message", "{'client': <'shell'>}"])
        let namedID = try #require(Self.messageID(named.output), "\(named)")
        #expect(await signals.waitForEnd(of: namedID, timeout: .seconds(20))?.member == "Ended", "\(signals.sequence(for: namedID))")

        let options = try await gdbus(
            ["call"] + Self.target
                + ["-m", "org.herald.Speech1.Speak", "hi", "important", "{'rate': <int32 20>, 'language': <'en'>}"])
        #expect(options.status == 0, "\(options)")

        let status = try await gdbus(["call"] + Self.target + ["-m", "org.herald.Speech1.GetStatus"])
        #expect(status.status == 0, "\(status)")
        #expect(status.output.contains("'state': <'"), "\(status)")
        #expect(status.output.contains("'engine': <'espeak-ng'>"), "\(status)")

        let version = try await gdbus(
            ["call"] + Self.target + ["-m", "org.freedesktop.DBus.Properties.Get", "org.herald.Speech1", "Version"])
        #expect(version.output.contains("<uint32 "), "\(version)")
        await monitor.close()
    }

    @Test func gdbusIntrospectShowsTheInterface() async throws {
        let result = try await gdbus(["introspect"] + Self.target)
        #expect(result.status == 0, "\(result)")
        for line in [
            "interface org.herald.Speech1 {", "Speak(in  s text,", "ListVoices(out a(ssss) voices);",
            "IndexMark(t id,", "readonly u Version = ",
        ] {
            #expect(result.output.contains(line), "gdbus introspect lacks \(line):\n\(result.output)")
        }
        let xml = try await gdbus(["introspect", "--xml"] + Self.target)
        let file = try String(contentsOf: InterfaceFile.url, encoding: .utf8)
        #expect(xml.output.trimmingCharacters(in: .whitespacesAndNewlines) == file.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// What a user typing a wrong call sees: the error's name and its message.
    static let badCalls: [(String, [String], String)] = [
        ("unknown priority", ["-m", "org.herald.Speech1.Speak", "hello", "urgent", "{}"], "Unknown priority \"urgent\""),
        ("rate out of range", ["-m", "org.herald.Speech1.Speak", "hello", "message", "{'rate': <int32 500>}"], "rate is 500"),
        ("unknown voice", ["-m", "org.herald.Speech1.Speak", "hello", "message", "{'voice': <'nope'>}"], "UnknownVoice"),
        ("empty text", ["-m", "org.herald.Speech1.Speak", "", "message", "{}"], "nothing to speak"),
        ("bad scope", ["-m", "org.herald.Speech1.Cancel", "everyone"], "Unknown scope \"everyone\""),
    ]

    @Test(arguments: badCalls)
    func gdbusShowsTheErrorNameAndMessage(what: String, arguments: [String], shows: String) async throws {
        let result = try await gdbus(["call"] + Self.target + arguments)
        print("gdbus with \(what): exit \(result.status), \(result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("org.herald.Speech1.Error."), "\(result)")
        #expect(result.errorOutput.contains(shows), "\(result)")
    }

    @Test func gdbusWithAWrongSignatureGetsHeraldsError() async throws {
        // gdbus checks arguments against the introspection data, so it cannot
        // send a wrong signature; dbus-send can.
        let sent = try #require(
            try await runCommand(
                try ChildProcess.find("dbus-send"),
                [
                    "--session", "--print-reply", "--dest=org.herald.Speech1", "/org/herald/Speech1",
                    "org.herald.Speech1.Speak", "string:hello", "int32:3",
                ], environment: try daemon.environment))
        print("dbus-send Speak(si): exit \(sent.status), \(sent.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(sent.status != 0)
        #expect(sent.errorOutput.contains("org.herald.Speech1.Error.InvalidArgument"), "\(sent)")
        #expect(sent.errorOutput.contains("(ssa{sv})"), "\(sent)")
    }

    @Test func busctlCallsWithTheBusAddress() async throws {
        let address = try daemon.bus.address
        let busctl = "/usr/bin/busctl"
        guard FileManager.default.isExecutableFile(atPath: busctl) else { return }
        let call = try #require(
            try await runCommand(
                busctl,
                [
                    "--address=\(address)", "call", "org.herald.Speech1", "/org/herald/Speech1", "org.herald.Speech1",
                    "Speak", "ssa{sv}", "hello", "message", "1", "rate", "i", "10",
                ], environment: try daemon.environment))
        print("busctl call Speak: exit \(call.status): \(call.output)\(call.errorOutput)")
        #expect(call.status == 0, "\(call)")
        #expect(call.output.hasPrefix("t "), "\(call)")

        let bad = try #require(
            try await runCommand(
                busctl,
                [
                    "--address=\(address)", "call", "org.herald.Speech1", "/org/herald/Speech1", "org.herald.Speech1",
                    "Stop", "s", "nobody",
                ], environment: try daemon.environment))
        print("busctl bad Stop: exit \(bad.status): \(bad.errorOutput)")
        #expect(bad.status != 0)
        #expect(bad.errorOutput.contains("Unknown scope"), "\(bad)")

        let introspect = try #require(
            try await runCommand(
                busctl, ["--address=\(address)", "introspect", "org.herald.Speech1", "/org/herald/Speech1"],
                environment: try daemon.environment))
        #expect(introspect.output.contains(".GetStatus"), "\(introspect)")
    }
}
