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
            #expect(modules.exitCode == 0 && modules.output.contains(server.pipeline.engineName), "\(modules.output)")
            let voices = try await ChildRun.run(
                "spd-say", ["-L"], environment: server.clientEnvironment, timeout: .seconds(10))
            let offered = await server.pipeline.voices()
            let english = try #require(offered.first { $0.language.hasPrefix("en") })
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

/// Through pipewire-pulse, whose streams never report an empty buffer: every
/// message used to end `703 CANCELED` after a 5 s stall, and `spd-say -w`
/// took 7 s for 1.5 s of speech.
@Suite(.serialized, .privatePipeWire)
struct PipeWirePulseSSIPTests {
    @Test func queuedMessagesEachEndAndFollowOneAnother() async throws {
        try await SSIPTestServer.with(route: .pipewirePulse) { server in
            let client = try server.connect()
            _ = try await client.command("SET self NOTIFICATION all on")
            // Message priority queues (text would speak only the newest), as say-all needs.
            _ = try await client.command("SET self PRIORITY message")
            let start = ContinuousClock.now
            var ids: [UInt64] = []
            for text in ["First message.", "Second message.", "Third message."] {
                ids.append(try await client.speak(text))
            }
            for id in ids {
                let end = try await client.waitForEvent(702, id: id, timeout: .seconds(10))
                #expect(end.last == "702 END")
            }
            let elapsed = ContinuousClock.now - start
            #expect(!client.events.contains { $0.last == "703 CANCELED" })
            let wav = try server.capture.wav()
            print("pipewire-pulse: three queued messages, \(wav.seconds) s of audio, all ended after \(elapsed)")
            #expect(wav.rms() > 0.01)
            // With a stall between messages each would add 5 s.
            #expect(elapsed < .seconds(wav.seconds + 1.5).timingScaled)
        }
    }

    @Test func spdSayWaitReturnsWhenTheSpeechEnds() async throws {
        try await SSIPTestServer.with(route: .pipewirePulse) { server in
            let start = ContinuousClock.now
            let run = try await ChildRun.run(
                "spd-say", ["-w", "hello from spd say on pipewire"], environment: server.clientEnvironment, timeout: .seconds(20))
            let elapsed = ContinuousClock.now - start
            #expect(run.finishedInTime && run.exitCode == 0, "spd-say: \(run.output)")
            let wav = try server.capture.wav()
            print("pipewire-pulse: spd-say -w returned after \(elapsed) for \(wav.seconds) s of audio")
            #expect(wav.seconds > 0.5)
            #expect(elapsed < .seconds(wav.seconds + 1.5).timingScaled)
        }
    }
}
