import Foundation
import Glibc
import HeraldDBus
import HeraldTesting
import Testing

/// heraldd re-reads its config while it serves (SIGHUP, `herald reload`,
/// D-Bus `Reload`): the next message uses the new engines and voices, what is
/// speaking finishes as it began, clients stay connected, and a config it
/// cannot use changes nothing and says what to fix.
@Suite(.serialized, .privatePulseAudio)
struct ReloadTests {
    /// Four paragraphs, about ten seconds: the last ones are synthesised
    /// after the config changes, and must still go to the voice it began with.
    static let speakingText = (1...4).map { "Paragraph \($0) is spoken by the voice this reading began with." }
        .joined(separator: "\n\n")
    static let luna = "@cf/deepgram/aura-2-en:luna"

    /// The voice ids `ListVoices` gives.
    func voiceIDs(_ client: SpeechClient) async throws -> [String] {
        try #require(try await client.call("ListVoices").first?.array).compactMap { $0.structFields?.first?.string }
    }

    @Test func theNextMessageUsesTheNewEnginesWhileClientsStayConnected() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(name: "reload", paced: true)
        try #require(await daemon.waitForSSIP(), "SSIP not up within 10 s:\n\(daemon.log)")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        #expect(try await !voiceIDs(client).contains(Self.luna))
        #expect(try await client.status()["config"]?.string == daemon.configPath)

        // An SSIP client (the speechd Python client, as Orca) that stays connected across the reload.
        let reloaded = daemon.folder.path("reloaded")
        let script = try daemon.folder.write(
            "ssip.py",
            """
            import os, sys, time, speechd
            c = speechd.SSIPClient('reload-test', autospawn=False)
            print('before', len([v for v in c.list_synthesis_voices() if v[0] == 'luna']), flush=True)
            open(sys.argv[2], 'w').close()
            deadline = time.time() + 60
            while not os.path.exists(sys.argv[1]) and time.time() < deadline:
                time.sleep(0.02)
            print('after', len([v for v in c.list_synthesis_voices() if v[0] == 'luna']), flush=True)
            c.close()
            """)
        var environment = daemon.environment
        environment["SPEECHD_ADDRESS"] = "unix_socket:" + daemon.folder.runtime.path + "/herald/ssip.sock"
        let listed = daemon.folder.path("listed")
        async let ssip = runCommand(
            "/usr/bin/python3", ["-u", script, reloaded, listed], environment: environment, timeout: .seconds(90))
        let connected = ContinuousClock.now + .seconds(30).timingScaled
        while !FileManager.default.fileExists(atPath: listed), ContinuousClock.now < connected {
            try await Task.sleep(for: .milliseconds(10))
        }

        // One message speaking through espeak-ng, one queued behind it.
        let speaking = try await client.speak(Self.speakingText)
        let queued = try await client.speak("The queued sentence comes after the reload.")
        _ = try #require(await signals.wait(for: speaking, ["Began"], timeout: .seconds(10)), "\(signals.all)\n\(daemon.log)")

        let cloud = HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"])
        try daemon.rewriteConfig("[audio]\ndevice = \"\(daemon.capture.name)\"\n" + cloud)
        let reply = try await client.call("Reload")
        #expect(reply.first?.string == daemon.configPath)
        _ = FileManager.default.createFile(atPath: reloaded, contents: Data())

        // The speaking message finished as it began (offline), the queued one took the new chain.
        #expect(await signals.waitForEnd(of: speaking, timeout: .seconds(60))?.member == "Ended", "\(signals.sequence(for: speaking))")
        #expect(await signals.waitForEnd(of: queued, timeout: .seconds(30))?.member == "Ended", "\(signals.sequence(for: queued))\n\(daemon.log)")
        #expect(fake.socketMessages.contains { $0.contains("The queued sentence comes after the reload.") }, "\(fake.socketMessages)")
        #expect(!fake.socketMessages.contains { $0.contains("this reading began with") }, "the speaking message moved engines")
        #expect(try await voiceIDs(client).contains(Self.luna))
        #expect(try await client.status()["engine"]?.string == "@cf/deepgram/aura-2-en")

        let session = try #require(try await ssip, "the SSIP client did not finish")
        #expect(session.status == 0, "\(session)")
        #expect(session.output == "before 0\nafter 1\n", "\(session)")
        #expect(daemon.log.contains("configuration reloaded"))
        #expect(!daemon.log.contains(fake.token))
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func aConfigThatCannotBeUsedChangesNothingAndSaysWhatToFix() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "reload-bad")
        let client = try await daemon.connect()
        let before = try await voiceIDs(client)
        let good = try String(contentsOfFile: daemon.configPath, encoding: .utf8)

        // A key of the wrong type on line 5: the file, the line and the key are named.
        try daemon.rewriteConfig(good + "\n[cloudflare]\nstall_timeout_ms = \"soon\"\n")
        let refused = try await herald(["reload"], environment: daemon.environment)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.errorOutput.contains("\(daemon.configPath):5"), "\(refused)")
        #expect(refused.errorOutput.contains("stall_timeout_ms"), "\(refused)")
        var error: DBusError?
        do { try await client.call("Reload") } catch let caught { error = caught }
        expectHeraldError(error, "InvalidConfig", mentioning: [daemon.configPath])

        // A cloud engine without credentials: refused at reload, naming what to set.
        try daemon.rewriteConfig(good + "\n[[engine]]\nmodel = \"@cf/deepgram/aura-2-en\"\n")
        let noCredentials = try await herald(["reload"], environment: daemon.environment)
        #expect(noCredentials.status == 1 && noCredentials.errorOutput.contains("CLOUDFLARE"), "\(noCredentials)")

        // A token file others can read is refused at reload as at start.
        let tokenFile = try daemon.folder.write("token", "not-a-real-token\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile)
        try daemon.rewriteConfig(
            good + "\n[cloudflare]\naccount_id = \"0123\"\napi_token_file = \"\(tokenFile)\"\n\n[[engine]]\nmodel = \"@cf/deepgram/aura-2-en\"\n")
        let tooOpen = try await herald(["reload"], environment: daemon.environment)
        #expect(tooOpen.status == 1 && tooOpen.errorOutput.contains("chmod 600 \(tokenFile)"), "\(tooOpen)")
        #expect(!tooOpen.errorOutput.contains("not-a-real-token") && !daemon.log.contains("not-a-real-token"))

        // Nothing changed: same voices, and it still speaks.
        #expect(try await voiceIDs(client) == before)
        let spoken = try await herald(["speak", "--wait", "Still here."], environment: daemon.environment)
        #expect(spoken.status == 0, "\(spoken)")
        // Each refusal is logged once, without the config's secrets.
        #expect(daemon.log.components(separatedBy: "reload refused").count - 1 == 4, "\(daemon.log)")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func aSighupWhileStartingIsQueuedNotFatal() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "reload-early", signalWhileStarting: SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10).timingScaled
        while !daemon.log.contains("configuration reloaded"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(daemon.log.contains("configuration reloaded") && daemon.log.contains("herald.trigger=SIGHUP"), "\(daemon.log)")
        #expect(daemon.process.exitCode == nil)
        #expect(await daemon.stop() == 0)
    }

    @Test func sighupReloadsAndNeverKills() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(name: "reload-hup")
        let client = try await daemon.connect()
        // Spiel clients (Orca through libspiel) hear of the new voices.
        let spielChanges = try await client.connection.signals(
            matching: DBusMatchRule(
                path: "/org/herald/Speech/Provider", interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged"))
        let cloud = HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"])
        try daemon.rewriteConfig("[audio]\ndevice = \"\(daemon.capture.name)\"\n" + cloud)
        // Three at once: one or more reloads, never a dead daemon.
        for _ in 0..<3 { daemon.process.send(SIGHUP) }
        let deadline = ContinuousClock.now + .seconds(10).timingScaled
        var voices: [String] = []
        while ContinuousClock.now < deadline {
            voices = try await voiceIDs(client)
            if voices.contains(Self.luna) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(voices.contains(Self.luna), "\(daemon.log)")
        #expect(daemon.process.exitCode == nil)
        let changed = try #require(await spielChanges.first(within: .seconds(5)), "no PropertiesChanged from the Spiel provider")
        let spielVoices = try #require(changed.arguments.dropFirst().first?.dictionary?["Voices"]?.array)
        #expect(spielVoices.compactMap(SpielClient.Voice.init).contains { $0.id == Self.luna })
        let status = try await client.status()
        #expect(status["engine"]?.string == "@cf/deepgram/aura-2-en")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func theNextMessagePlaysOnTheNewDevice() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "reload-device")
        let first = try await herald(["speak", "--wait", "On the capture device."], environment: daemon.environment)
        #expect(first.status == 0, "\(first)")
        let captured = daemon.capture.framesWritten
        #expect(captured > 0)
        let capture = try String(contentsOfFile: daemon.configPath, encoding: .utf8)

        try daemon.rewriteConfig("[audio]\ndevice = \"null\"\n")
        #expect(try await herald(["reload"], environment: daemon.environment).status == 0)
        let silent = try await herald(["speak", "--wait", "Into the null device."], environment: daemon.environment)
        #expect(silent.status == 0, "\(silent)")
        #expect(daemon.capture.framesWritten == captured, "the capture device still played")

        try daemon.rewriteConfig(capture)
        #expect(try await herald(["reload"], environment: daemon.environment).status == 0)
        let back = try await herald(["speak", "--wait", "Back on the capture device."], environment: daemon.environment)
        #expect(back.status == 0, "\(back)")
        #expect(daemon.capture.framesWritten > captured, "\(daemon.log)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func reloadingUnderLoadLosesAndRepeatsNothing() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(name: "reload-load", paced: true)
        let offline = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        let cloud =
            "[audio]\ndevice = \"\(daemon.capture.name)\"\n"
            + HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"])
        try #require(await daemon.waitForSSIP(), "SSIP not up within 10 s:\n\(daemon.log)")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let reloader = try await daemon.connect()
        // An SSIP client (as Orca) queues eight messages while the reloads happen, and counts their events.
        let script = try daemon.folder.write(
            "ssip-load.py",
            """
            import sys, time, speechd
            c = speechd.SSIPClient('reload-load', autospawn=False)
            c.set_priority(speechd.Priority.MESSAGE)
            records = []
            for number in range(8):
                record = []
                c.speak('SSIP message %d.' % number, callback=lambda kind, index_mark=None, record=record: record.append(kind),
                        event_types=(speechd.CallbackType.BEGIN, speechd.CallbackType.END, speechd.CallbackType.CANCEL))
                records.append(record)
                time.sleep(0.3)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and any('end' not in r and 'cancel' not in r for r in records):
                time.sleep(0.05)
            c.close()
            print(' '.join(','.join(r) for r in records))
            """)
        var environment = daemon.environment
        environment["SPEECHD_ADDRESS"] = "unix_socket:" + daemon.folder.runtime.path + "/herald/ssip.sock"
        async let ssip = runCommand("/usr/bin/python3", ["-u", script], environment: environment, timeout: .seconds(120))
        var ids: [UInt64] = []
        for round in 0..<3 {
            for number in 0..<3 { ids.append(try await client.speak("Round \(round), message \(number).")) }
            try daemon.rewriteConfig(round % 2 == 0 ? cloud : offline)
            try await reloader.call("Reload")
        }
        for id in ids {
            let end = await signals.waitForEnd(of: id, timeout: .seconds(90))
            #expect(end?.member == "Ended", "\(id): \(signals.sequence(for: id))\n\(daemon.log)")
        }
        // Each message began once and ended once, over D-Bus and over SSIP.
        for id in ids {
            let sequence = signals.sequence(for: id)
            #expect(sequence.filter { $0 == "Began" }.count == 1 && sequence.filter { $0 == "Ended" }.count == 1, "\(id): \(sequence)")
        }
        let session = try #require(try await ssip, "the SSIP client did not finish")
        let records = session.output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(records.count == 8 && records.allSatisfy { $0 == "begin,end" }, "\(session)")
        await reloader.close()
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}

extension HeraldDaemonProcess {
    /// Replaces the config file's text, keeping it private (0600) as a user's would be.
    func rewriteConfig(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: configPath)
    }
}
