import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// `herald voices` as a table with a language filter, `herald speak
/// --language` and `--output FILE.wav`, against heraldd on the fake Workers AI.
@Suite(.serialized) struct VoicesAndExportTests {
    static func daemon(_ fake: FakeWorkersAI, name: String) async throws -> HeraldDaemonProcess {
        try await HeraldDaemonProcess.start(
            name: name,
            config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-es", "espeak-ng"]))
    }

    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "herald-out-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func voicesIsATableAndFiltersByLanguage() async throws {
        let fake = try await FakeWorkersAI.start()
        let daemon = try await Self.daemon(fake, name: "voices")
        let all = try await herald(["voices"], environment: daemon.environment)
        let spanish = try await herald(["voices", "--language", "es"], environment: daemon.environment)
        let none = try await herald(["voices", "--language", "tlh"], environment: daemon.environment)
        _ = await daemon.stop()
        await fake.stop()
        let header = all.output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "NAME", "LANGUAGE", "ENGINE", "KIND"])
        #expect(all.output.contains { _ in true } && all.output.split(separator: "\n").contains { $0.hasPrefix("@cf/deepgram/aura-2-en:luna ") && $0.hasSuffix("cloud") })
        #expect(all.output.split(separator: "\n").contains { $0.contains("espeak-ng") && $0.hasSuffix("local") })
        let lines = spanish.output.split(separator: "\n").map(String.init)
        let column = try #require(lines.first?.range(of: "LANGUAGE")?.lowerBound.utf16Offset(in: lines[0]))
        let rows = lines.dropFirst()
        #expect(!rows.isEmpty && rows.allSatisfy { String($0.dropFirst(column)).hasPrefix("es") }, "\(spanish)")
        #expect(rows.contains { $0.hasPrefix("@cf/deepgram/aura-2-es:javier") } && rows.contains { $0.contains("espeak-ng") })
        #expect(none.status != 0 && none.errorOutput.contains("no voice speaks tlh"), "\(none)")
    }

    @Test func outputWritesAWAVOfTheExpectedRateAndLength() async throws {
        let fake = try await FakeWorkersAI.start()
        let daemon = try await Self.daemon(fake, name: "export")
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = "Saved to a file, not played."
        let result = try await herald(["speak", "--output", folder + "/saved.wav", text], environment: daemon.environment)
        let spanish = try await herald(
            ["speak", "--language", "es", "--output", folder + "/es.wav", "Guardado en un archivo."], environment: daemon.environment)
        let played = daemon.capture.framesWritten
        _ = await daemon.stop()
        await fake.stop()
        #expect(result.status == 0, "\(result)\n\(daemon.log)")
        #expect(result.output.contains("saved.wav: 1.7 s at 24000 Hz"), "\(result)")
        let wav = try WAVFile(path: folder + "/saved.wav")
        #expect(wav.sampleRate == 24_000 && wav.channels == 1)
        #expect(abs(wav.seconds - Double(text.count * FakeWorkersAI.millisecondsPerCharacter) / 1000) < 0.01)
        #expect(wav.rms() > 0.1)
        #expect(spanish.status == 0, "\(spanish)")
        #expect(fake.socketMessages(for: "@cf/deepgram/aura-2-es").contains(#"{"text":"Guardado en un archivo. ","type":"Speak"}"#))
        #expect(played == 0, "nothing reached the sound card")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func badOutputsAndVoicesFailCleanly() async throws {
        let fake = try await FakeWorkersAI.start()
        let daemon = try await Self.daemon(fake, name: "export-bad")
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/kept.wav"))
        let cases: [([String], String)] = [
            (["speak", "--output", folder + "/missing/x.wav", "Hi."], "does not exist"),
            (["speak", "--output", folder + "/x.mp3", "Hi."], "WAV"),
            (["speak", "--output", folder, "Hi."], "WAV"),
            (["speak", "--voice", "nope", "--output", folder + "/kept.wav", "Hi."], "nope"),
            (["speak", "--voice", "nope", "Hi."], "nope"),
            (["speak", "--language", "tlh", "Hi."], "no voice speaks tlh"),
            (["speak", "--language", "e s", "Hi."], "not a language tag"),
        ]
        for (arguments, words) in cases {
            let result = try await herald(arguments, environment: daemon.environment)
            #expect(result.status != 0, "\(arguments): \(result)")
            #expect(result.errorOutput.contains(words) && result.errorOutput.split(separator: "\n").count == 1, "\(arguments): \(result)")
        }
        let alive = try await herald(["status"], environment: daemon.environment)
        _ = await daemon.stop()
        await fake.stop()
        #expect(alive.output.contains("state"), "the daemon still serves: \(alive)")
        #expect(try String(contentsOfFile: folder + "/kept.wav", encoding: .utf8) == "keep me", "an existing file stays untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["kept.wav"])
    }

    @Test func exportRefusesWhatIsNotAWritableFileAndLeavesPlaybackAlone() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "export-dbus")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let playing = try await client.speak(SampleText.long)
        // The exports must come while it plays, not before it begins (under
        // ThreadSanitizer all three were done before it began).
        try #require(await signals.wait(for: playing, ["Began"], timeout: .seconds(10)) != nil, "\(daemon.log)")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/read-only.wav"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let readOnly = open(path, O_RDONLY)
        for (name, fd) in [("a pipe", fds[1]), ("a read-only file", readOnly)] {
            let error = await dbusError { _ = try await client.call("Export", [.string("Hi."), .dictionary([:]), .unixFD(DBusUnixFD(borrowing: fd))]) }
            #expect(error?.name == "org.herald.Speech1.Error.InvalidArgument", "\(name): \(String(describing: error))")
        }
        close(fds[0])
        close(fds[1])
        close(readOnly)
        let writable = open(path, O_WRONLY)
        let reply = try await client.call(
            "Export", [.string("Written while another message plays."), .dictionary([:]), .unixFD(DBusUnixFD(borrowing: writable))],
            timeout: .seconds(60))
        close(writable)
        let stillPlaying = signals.first(playing, ["Ended", "Canceled", "Failed"]) == nil
        _ = try await client.call("Cancel", [.string("all")])
        let end = await signals.waitForEnd(of: playing, timeout: .seconds(10))
        await client.close()
        _ = await daemon.stop()
        #expect(reply.first?.uint32 == 22_050 && (reply.last?.uint64 ?? 0) > 22_050)
        #expect(try WAVFile(path: path).seconds > 1)
        #expect(stillPlaying, "the export did not end the playing message")
        #expect(signals.sequence(for: playing).first == "Began" && end?.member == "Canceled")
    }
}
