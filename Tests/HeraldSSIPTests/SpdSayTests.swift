import Foundation
import HeraldCore
import HeraldTesting
import Testing

/// The real `spd-say` (libspeechd) from Debian's speech-dispatcher package,
/// pointed at Herald with `SPEECHD_ADDRESS`.
@Suite struct SpdSayTests {
    @Test func speaksAndWaitsForTheEnd() async throws {
        try await SSIPTestServer.with { server in
            let run = try await ChildRun.run(
                "spd-say", ["-w", "hello from spd say"], environment: server.clientEnvironment, timeout: .seconds(20))
            #expect(run.finishedInTime, "spd-say -w did not return within 20 s: \(run.output)")
            #expect(run.exitCode == 0, "spd-say: \(run.output)")
            let wav = try server.capture.wav()
            print("spd-say -w: \(wav.seconds) s of audio, RMS \(wav.rms())")
            #expect(wav.seconds > 0.3)
            #expect(wav.rms() > 0.01)
        }
    }

    @Test func voiceOptionsAreAccepted() async throws {
        try await SSIPTestServer.with { server in
            let run = try await ChildRun.run(
                "spd-say",
                ["-w", "-r", "50", "-p", "20", "-i", "-30", "-t", "female1", "-l", "es", "hola, buenos días"],
                environment: server.clientEnvironment, timeout: .seconds(20))
            #expect(run.finishedInTime && run.exitCode == 0, "spd-say: \(run.output)")
            let wav = try server.capture.wav()
            print("spd-say with options: \(wav.seconds) s of audio, RMS \(wav.rms())")
            #expect(wav.rms() > 0.005)
            #expect(!server.logs.all.contains { $0.level > .debug && $0.message.contains("buenos") })
        }
    }

    @Test func listsModulesAndVoices() async throws {
        try await SSIPTestServer.with { server in
            let modules = try await ChildRun.run(
                "spd-say", ["-O"], environment: server.clientEnvironment, timeout: .seconds(10))
            #expect(modules.exitCode == 0 && modules.output.contains(server.stack.engineName), "\(modules.output)")
            let voices = try await ChildRun.run(
                "spd-say", ["-L"], environment: server.clientEnvironment, timeout: .seconds(10))
            let english = try #require(server.stack.voices.first { $0.language.hasPrefix("en") })
            #expect(voices.exitCode == 0 && voices.output.contains(english.name), "\(voices.output.prefix(500))")
        }
    }
}

/// `spd-say -C` while another client speaks a long text on a paced device.
@Suite(.serialized, .privatePulseAudio)
struct SpdSayCancelTests {
    @Test func cancelAllStopsAnotherClientsSpeech() async throws {
        try await SSIPTestServer.with(paced: true) { server in
            let speaker = try server.connect()
            _ = try await speaker.command("SET self NOTIFICATION all on")
            let id = try await speaker.speak(LongText.paragraph)
            _ = try await speaker.waitForEvent(701, id: id, timeout: .seconds(10))
            let start = ContinuousClock.now
            let run = try await ChildRun.run(
                "spd-say", ["-C"], environment: server.clientEnvironment, timeout: .seconds(10))
            #expect(run.exitCode == 0, "spd-say -C: \(run.output)")
            let canceled = try await speaker.waitForEvent(703, id: id, timeout: .seconds(5))
            print("spd-say -C: canceled \(ContinuousClock.now - start) after spd-say started (process start included)")
            #expect(canceled.last == "703 CANCELED")
            #expect(!speaker.events.contains { $0.last == "702 END" })
        }
    }
}

enum LongText {
    static let paragraph = """
        This is a long paragraph that Herald reads aloud for a test. It goes on for a while, sentence after \
        sentence, so that there is plenty of time to interrupt it while it is being spoken. Nobody needs to \
        hear the end of it, and with any luck nobody will, because the test cancels it long before that.
        """

    /// SSML with a mark before every word, the way Orca sends say-all.
    static func marked(_ text: String) -> (ssml: String, marks: [String]) {
        var ssml = "<speak>"
        var marks: [String] = []
        var offset = 0
        for word in text.split(separator: " ") {
            let mark = "\(offset):\(offset + word.count)"
            marks.append(mark)
            ssml += "<mark name=\"\(mark)\"/>\(word) "
            offset += word.count + 1
        }
        return (ssml + "</speak>", marks)
    }
}
