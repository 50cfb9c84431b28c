import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// Every method of `org.herald.Speech1` against the real `heraldd`, called as
/// an application calls it: valid arguments work, and each kind of bad input
/// gets an `org.herald.Speech1.Error.*` reply with a readable message, after
/// which the daemon still answers. One daemon for the suite, tests one at a
/// time so that the priority rules of one test do not cut into another.
@Suite(.serialized, .heraldDaemon("methods"))
struct SpeechMethodTests {
    var daemon: HeraldDaemonProcess {
        get throws { try #require(HeraldDaemonProcess.current, "attach .heraldDaemon to the suite") }
    }

    /// Fails the test unless the daemon still runs and answers a new client.
    func expectStillServing(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let daemon = try daemon
        #expect(daemon.process.isRunning, "heraldd exited:\n\(daemon.log)", sourceLocation: sourceLocation)
        let probe = try await daemon.connect()
        let status = try await probe.status()
        #expect(status["state"]?.string != nil, sourceLocation: sourceLocation)
        await probe.close()
    }

    // MARK: Speak

    @Test(arguments: ["important", "message", "text", "notification", "progress", "MESSAGE"])
    func speakTakesEachPriority(priority: String) async throws {
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak(SampleText.short, priority)
        #expect(id > 0)
        // Whatever the priority rules decide, the message ends exactly once.
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        #expect(end != nil, "no end for \(priority) message \(id): \(signals.sequence(for: id))")
        #expect(signals.sequence(for: id).filter { SpeechSignalLog.finalMembers.contains($0) }.count == 1)
        await client.close()
    }

    @Test func speakTakesEveryOption() async throws {
        let client = try await daemon.connect()
        let voices = try #require(try await client.call("ListVoices").first?.array)
        let voice = try #require(voices.first?.structFields?.first?.string)
        let signals = try await client.signalLog()
        let options: [String: DBusValue] = [
            "voice": .string(voice), "language": .string("en-GB"), "rate": .int32(40), "pitch": .int32(-30),
            "volume": .int32(-100), "ssml": .bool(false), "client": .string("e2e-options"),
        ]
        let id = try await client.speak(SampleText.short, "message", options)
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        #expect(end?.member == "Ended", "\(signals.sequence(for: id))")
        // The edges of the ranges are valid too.
        for key in ["rate", "pitch", "volume"] {
            for level: Int32 in [-100, 100] {
                let id = try await client.speak("Edge.", "message", [key: .int32(level)])
                _ = await signals.waitForEnd(of: id, timeout: .seconds(20))
                #expect(signals.first(id, ["Ended"]) != nil, "\(key) \(level): \(signals.sequence(for: id))")
            }
        }
        await client.close()
    }

    /// Bad `Speak` calls: (what, arguments, the error's last name component, words its message should contain).
    static let badSpeakCalls: [(String, [DBusValue], String, [String])] = [
        ("unknown priority", [.string("Hi."), .string("urgent"), .dictionary([:])], "InvalidArgument", ["priority", "urgent"]),
        ("empty priority", [.string("Hi."), .string(""), .dictionary([:])], "InvalidArgument", ["priority"]),
        ("empty text", [.string(""), .string("message"), .dictionary([:])], "InvalidArgument", ["empty"]),
        ("blank text", [.string(" \n\t "), .string("message"), .dictionary([:])], "InvalidArgument", ["empty"]),
        ("unknown option", [.string("Hi."), .string("message"), .dictionary(["speed": .int32(3)])], "InvalidArgument", ["speed"]),
        ("rate as a string", [.string("Hi."), .string("message"), .dictionary(["rate": .string("fast")])], "InvalidArgument", ["rate"]),
        ("rate as a double", [.string("Hi."), .string("message"), .dictionary(["rate": .double(0.5)])], "InvalidArgument", ["rate"]),
        ("rate 101", [.string("Hi."), .string("message"), .dictionary(["rate": .int32(101)])], "InvalidArgument", ["rate", "100"]),
        ("rate -101", [.string("Hi."), .string("message"), .dictionary(["rate": .int32(-101)])], "InvalidArgument", ["rate"]),
        ("pitch 1000", [.string("Hi."), .string("message"), .dictionary(["pitch": .int32(1000)])], "InvalidArgument", ["pitch"]),
        ("volume -200", [.string("Hi."), .string("message"), .dictionary(["volume": .int32(-200)])], "InvalidArgument", ["volume"]),
        ("ssml as a string", [.string("Hi."), .string("message"), .dictionary(["ssml": .string("yes")])], "InvalidArgument", ["ssml"]),
        ("voice as an integer", [.string("Hi."), .string("message"), .dictionary(["voice": .int32(1)])], "InvalidArgument", ["voice"]),
        ("unknown voice", [.string("Hi."), .string("message"), .dictionary(["voice": .string("nope")])], "UnknownVoice", ["nope"]),
        ("bad language", [.string("Hi."), .string("message"), .dictionary(["language": .string("en_US!")])], "InvalidArgument", ["language"]),
        ("empty client", [.string("Hi."), .string("message"), .dictionary(["client": .string("")])], "InvalidArgument", ["client"]),
        ("signature (s)", [.string("Hi.")], "InvalidArgument", ["ssa{sv}"]),
        ("signature (ss)", [.string("Hi."), .string("message")], "InvalidArgument", ["ssa{sv}"]),
        ("signature (iss…)", [.int32(1), .string("message"), .dictionary([:])], "InvalidArgument", ["ssa{sv}"]),
        ("signature (ssa{ss})", [.string("Hi."), .string("message"), .dict(keySignature: "s", valueSignature: "s", [])], "InvalidArgument", []),
        ("signature ()", [], "InvalidArgument", []),
    ]

    @Test(arguments: badSpeakCalls)
    func badSpeakGetsAHeraldError(what: String, arguments: [DBusValue], kind: String, words: [String]) async throws {
        let client = try await daemon.connect()
        let error = await dbusError { try await client.call("Speak", arguments) }
        expectHeraldError(error, kind, mentioning: words, notQuoting: arguments.first?.string)
        print("Speak with \(what): \(error.map(String.init(describing:)) ?? "no error")")
        // The same connection and everyone else are still served.
        #expect(try await client.status()["state"] != nil)
        try await expectStillServing()
        await client.close()
    }

    @Test func aMegabyteOfTextIsAcceptedAndBegins() async throws {
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let sent = ContinuousClock.now
        let id = try await client.speak(SampleText.megabyte, "text")
        let replied = ContinuousClock.now - sent
        let began = await signals.wait(for: id, ["Began"], timeout: .seconds(15))
        print(
            "Speak with 1 MiB: reply after \(replied), Began after \(began.map { $0.at - sent }.map(String.init(describing:)) ?? "-")")
        #expect(began != nil, "no Began within 15 s: \(signals.sequence(for: id))")
        #expect(replied < .seconds(5).timingScaled)
        let status = try await client.status()
        #expect(status["speaking"]?.uint64 == id, "\(status)")
        try await client.call("Cancel", [.string(String(id))])
        let end = await signals.waitForEnd(of: id, timeout: .seconds(5))
        #expect(end?.member == "Canceled", "\(signals.sequence(for: id))")
        try await expectStillServing()
        await client.close()
    }

    // MARK: Char and Key

    @Test func charAndKeySpeak() async throws {
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        var ids: [UInt64] = []
        for character in ["a", "Z", "é", "space", "capital a", "?"] {
            ids.append(try #require(try await client.call("Char", [.string(character), .string("message")]).first?.uint64))
        }
        for key in ["shift_a", "Return", "control_alt_Delete", "F5"] {
            ids.append(try #require(try await client.call("Key", [.string(key), .string("message")]).first?.uint64))
        }
        #expect(Set(ids).count == ids.count, "ids are not unique: \(ids)")
        for id in ids {
            let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
            #expect(end?.member == "Ended", "message \(id): \(signals.sequence(for: id))")
        }
        await client.close()
    }

    static let badCharAndKeyCalls: [(String, String, [DBusValue], [String])] = [
        ("Char", "empty", [.string(""), .string("message")], ["character"]),
        ("Char", "a sentence", [.string(String(repeating: "long ", count: 20)), .string("message")], ["character"]),
        ("Char", "unknown priority", [.string("a"), .string("loud")], ["priority"]),
        ("Char", "signature (s)", [.string("a")], ["(ss)"]),
        ("Char", "signature (su)", [.string("a"), .uint32(1)], ["(ss)"]),
        ("Key", "empty", [.string(""), .string("message")], ["key"]),
        ("Key", "too long", [.string(String(repeating: "x", count: 100)), .string("message")], ["key"]),
        ("Key", "unknown priority", [.string("shift_a"), .string("")], ["priority"]),
        ("Key", "signature (sss)", [.string("shift_a"), .string("message"), .string("x")], ["(ss)"]),
    ]

    @Test(arguments: badCharAndKeyCalls)
    func badCharAndKeyGetAHeraldError(method: String, what: String, arguments: [DBusValue], words: [String]) async throws {
        let client = try await daemon.connect()
        let error = await dbusError { try await client.call(method, arguments) }
        expectHeraldError(error, "InvalidArgument", mentioning: words)
        print("\(method) with \(what): \(error.map(String.init(describing:)) ?? "no error")")
        try await expectStillServing()
        await client.close()
    }

    // MARK: Stop, Cancel, Pause, Resume

    @Test(arguments: ["Stop", "Cancel", "Pause", "Resume"])
    func controlsTakeEveryScope(method: String) async throws {
        let client = try await daemon.connect()
        // With nothing queued every scope is valid; an id nobody has is no
        // error either, as Speech Dispatcher answers 210 OK to STOP 12345.
        for scope in ["self", "all", "SELF", "987654321", "client:herald", "client:someone-else"] {
            let error = await dbusError { try await client.call(method, [.string(scope)]) }
            #expect(error == nil, "\(method)(\(scope)): \(error.map(String.init(describing:)) ?? "")")
        }
        await client.close()
    }

    static let badScopes = ["", "everyone", "client:", "-1", "12abc", "1.5", "self all", String(repeating: "x", count: 4096)]

    @Test(arguments: ["Stop", "Cancel", "Pause", "Resume"], badScopes)
    func controlsRefuseABadScope(method: String, scope: String) async throws {
        let client = try await daemon.connect()
        let error = await dbusError { try await client.call(method, [.string(scope)]) }
        expectHeraldError(error, "InvalidArgument", mentioning: ["scope"])
        try await expectStillServing()
        await client.close()
    }

    @Test(arguments: ["Stop", "Cancel", "Pause", "Resume"])
    func controlsRefuseAWrongSignature(method: String) async throws {
        let client = try await daemon.connect()
        for arguments: [DBusValue] in [[], [.uint64(1)], [.string("all"), .string("all")]] {
            let error = await dbusError { try await client.call(method, arguments) }
            expectHeraldError(error, "InvalidArgument", mentioning: ["(s)"])
        }
        try await expectStillServing()
        await client.close()
    }

    @Test func pauseResumeStopAndCancelActOnTheirScope() async throws {
        let daemon = try daemon
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let first = try await client.speak(SampleText.long, "message")
        #expect(await signals.wait(for: first, ["Began"], timeout: .seconds(10)) != nil, "\(signals.all)\n\(daemon.log)")

        // By client: Pause(self) suspends the caller's speaking message, Resume(self) continues it.
        try await client.call("Pause", [.string("self")])
        #expect(await signals.wait(for: first, ["Paused"], timeout: .seconds(5)) != nil, "\(signals.sequence(for: first))")
        let paused = try await client.status()
        #expect(paused["state"]?.string == "paused", "\(paused)")
        #expect(paused["speaking"] == nil, "\(paused)")
        try await client.call("Resume", [.string("self")])
        #expect(await signals.wait(for: first, ["Resumed"], timeout: .seconds(5)) != nil, "\(signals.sequence(for: first))")
        #expect(try await client.status()["state"]?.string == "speaking")

        // By id: the same, for that one message.
        try await client.call("Pause", [.string(String(first))])
        let deadline = ContinuousClock.now + .seconds(5)
        while signals.sequence(for: first).count(where: { $0 == "Paused" }) < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try await client.status()["state"]?.string == "paused")
        try await client.call("Resume", [.string(String(first))])
        while signals.sequence(for: first).count(where: { $0 == "Resumed" }) < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }

        // Stop ends the speaking message; a queued one follows.
        let second = try await client.speak(SampleText.short, "message")
        try await client.call("Stop", [.string("self")])
        #expect(await signals.waitForEnd(of: first, timeout: .seconds(5))?.member == "Canceled", "\(signals.sequence(for: first))")
        #expect(await signals.waitForEnd(of: second, timeout: .seconds(20))?.member == "Ended", "\(signals.sequence(for: second))")
        #expect(signals.sequence(for: first) == ["Began", "Paused", "Resumed", "Paused", "Resumed", "Canceled"])

        // Cancel by client name reaches messages spoken under that name.
        let named = try await client.speak(SampleText.long, "message", ["client": .string("reader")])
        let queued = try await client.speak(SampleText.short, "message", ["client": .string("reader")])
        #expect(await signals.wait(for: named, ["Began"], timeout: .seconds(10)) != nil)
        try await client.call("Cancel", [.string("client:reader")])
        #expect(await signals.waitForEnd(of: named, timeout: .seconds(5))?.member == "Canceled")
        #expect(await signals.waitForEnd(of: queued, timeout: .seconds(5))?.member == "Canceled")
        #expect(try await client.status()["state"]?.string == "idle")
        await client.close()
    }

    // MARK: ListVoices, GetStatus, Version, Introspect

    @Test func listVoicesHasEspeakVoicesWithLanguages() async throws {
        let client = try await daemon.connect()
        let reply = try await client.call("ListVoices")
        #expect(reply.map(\.signature) == ["a(ssss)"])
        let voices = try #require(reply.first?.array).compactMap { $0.structFields?.compactMap(\.string) }
        let espeak = voices.filter { $0.count == 4 && $0[3] == "espeak-ng" }
        print("ListVoices: \(voices.count) voices, \(espeak.count) from espeak-ng, e.g. \(voices.prefix(3))")
        #expect(espeak.count > 10)
        #expect(espeak.allSatisfy { !$0[0].isEmpty && !$0[1].isEmpty && !$0[2].isEmpty }, "a voice without id, name or language")
        #expect(espeak.contains { $0[2].hasPrefix("en") })
        #expect(Set(voices.map { $0[0] }).count == voices.count, "voice ids are not unique")
        let error = await dbusError { try await client.call("ListVoices", [.string("en")]) }
        expectHeraldError(error, "InvalidArgument")
        await client.close()
    }

    @Test func getStatusTellsStateQueueEngineAndVersionButNeverText() async throws {
        let client = try await daemon.connect()
        let idle = try await client.status()
        #expect(idle["state"]?.string == "idle", "\(idle)")
        #expect(idle["queued"]?.uint32 == 0, "\(idle)")
        #expect(idle["engine"]?.string == "espeak-ng", "\(idle)")
        #expect((idle["version"]?.uint32 ?? 0) >= 1, "\(idle)")
        #expect(idle["speaking"] == nil)

        let signals = try await client.signalLog()
        let secret = "Correct horse battery staple is my password"
        let id = try await client.speak(secret + ". " + SampleText.long, "message")
        let next = try await client.speak(secret, "message")
        #expect(await signals.wait(for: id, ["Began"], timeout: .seconds(10)) != nil)
        let busy = try await client.status()
        print("GetStatus while speaking: \(busy)")
        #expect(busy["state"]?.string == "speaking", "\(busy)")
        #expect(busy["speaking"]?.uint64 == id, "\(busy)")
        #expect(busy["queued"]?.uint32 == 1, "\(busy)")
        #expect(Set(busy.keys).isSubset(of: ["state", "queued", "engine", "version", "speaking", "engines", "config"]), "\(busy.keys)")
        // Each engine's health: name, state, seconds resting, last error.
        let engines = try #require(busy["engines"]?.array, "\(busy)").map { $0.structFields ?? [] }
        #expect(engines == [[.string("espeak-ng"), .string("ready"), .uint32(0), .string("")]], "\(engines)")
        #expect(!"\(busy)".contains("horse"), "GetStatus shows spoken text")
        try await client.call("Cancel", [.string("self")])
        #expect(await signals.waitForEnd(of: next, timeout: .seconds(5))?.member == "Canceled")

        let error = await dbusError { try await client.call("GetStatus", [.uint32(1)]) }
        expectHeraldError(error, "InvalidArgument")
        await client.close()
    }

    @Test func versionPropertyMatchesGetStatus() async throws {
        let client = try await daemon.connect()
        let reply = try await client.connection.call(
            destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
            interface: "org.freedesktop.DBus.Properties", method: "Get",
            arguments: [.string(HeraldDaemonProcess.interface), .string("Version")])
        let version = try #require(reply.first?.unwrapped.uint32, "Properties.Get replied \(reply)")
        #expect(version >= 1)
        #expect(try await client.status()["version"]?.uint32 == version)

        let all = try await client.connection.call(
            destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
            interface: "org.freedesktop.DBus.Properties", method: "GetAll", arguments: [.string(HeraldDaemonProcess.interface)])
        #expect(all.first?.dictionary?["Version"]?.unwrapped.uint32 == version, "GetAll replied \(all)")

        let unknown = await dbusError {
            try await client.connection.call(
                destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
                interface: "org.freedesktop.DBus.Properties", method: "Get",
                arguments: [.string(HeraldDaemonProcess.interface), .string("Volume")])
        }
        #expect(unknown?.name == DBusError.Names.unknownProperty, "\(unknown.map(String.init(describing:)) ?? "no error")")
        let readOnly = await dbusError {
            try await client.connection.call(
                destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
                interface: "org.freedesktop.DBus.Properties", method: "Set",
                arguments: [.string(HeraldDaemonProcess.interface), .string("Version"), .variant(.uint32(9))])
        }
        #expect(readOnly != nil, "Set(Version) succeeded")
        try await expectStillServing()
        await client.close()
    }

    @Test func introspectionIsTheInterfaceFileByteForByte() async throws {
        let client = try await daemon.connect()
        let reply = try await client.connection.call(
            destination: HeraldDaemonProcess.busName, path: HeraldDaemonProcess.objectPath,
            interface: "org.freedesktop.DBus.Introspectable", method: "Introspect")
        let served = try #require(reply.first?.string)
        let file = try String(contentsOf: InterfaceFile.url, encoding: .utf8)
        #expect(Array(served.utf8) == Array(file.utf8), "Introspect differs from \(InterfaceFile.url.path)")
        await client.close()
    }

    @Test func unknownMethodsAndObjectsGetStandardErrors() async throws {
        let client = try await daemon.connect()
        let method = await dbusError { try await client.call("Shout", [.string("Hi.")]) }
        #expect(method?.name == DBusError.Names.unknownMethod, "\(method.map(String.init(describing:)) ?? "no error")")
        let object = await dbusError {
            try await client.connection.call(
                destination: HeraldDaemonProcess.busName, path: "/org/herald/Nothing", interface: HeraldDaemonProcess.interface,
                method: "GetStatus")
        }
        #expect(object != nil)
        try await expectStillServing()
        await client.close()
    }
}

/// `dbus/org.herald.Speech1.xml`, found from this file's place in the package.
enum InterfaceFile {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("dbus/org.herald.Speech1.xml")
}
