import Glibc
import HeraldCore
import HeraldDBus
import HeraldEspeak
import HeraldTesting
import Logging
import Testing

@testable import HeraldSpiel

/// The provider over the real espeak-ng, served on a private bus, with a
/// client that passes pipes as libspiel does.
@Suite(.timingSensitive)
struct SpielProviderTests {
    static let rate = 22050
    static let sentence = "The quick brown fox jumps over the lazy dog."
    static let paragraph = """
        Herald reads text aloud for people who cannot see the screen, and for anyone who would rather \
        listen. It keeps one queue for every program on the desktop, speaks the most urgent message first, \
        and stops at once when asked. When the network is slow or gone it falls back to a voice on this \
        computer, so that a screen reader never goes silent.
        """

    @Test(.privateBus) func pcmOfTheAdvertisedFormatArrivesAndThePipeIsClosed() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        let voices = try await harness.client.voices()
        let voice = try #require(voices.first { $0.id == english })
        #expect(voice.outputFormat == "audio/x-spiel,format=S16LE,channels=1,rate=22050")

        let start = ContinuousClock.now
        let reader = try await harness.client.synthesize(Self.sentence, voice: english)
        let replied = ContinuousClock.now - start
        #expect(await reader.readToEnd(timeout: .seconds(20)), "the provider did not close the pipe")
        let done = ContinuousClock.now - start
        let content = reader.content
        print("Spiel sentence: reply after \(replied), stream ended after \(done): \(content), "
            + "\(content.seconds(rate: Self.rate)) s, RMS \(content.rms)")
        #expect(content.version == "0.01")
        #expect(content.malformed == nil && !content.truncated)
        #expect(content.seconds(rate: voice.rate ?? 0) > 1.5 && content.seconds(rate: Self.rate) < 5)
        #expect(content.rms > 0.02, "silence")
        #expect(content.largestChunk <= 4096)
        #expect(await harness.waitUntilIdle() != nil)
        // Spoken text stays out of logs above debug.
        #expect(!harness.logs.all.contains { $0.level > .debug && $0.message.contains("brown fox") })
        await harness.stop()
    }

    @Test(.privateBus) func ssmlMarksArriveAsEventsBetweenTheAudio() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        let reader = try await harness.client.synthesize(
            "<speak>One two three <mark name=\"middle\"/> four five six.</speak>", voice: english, ssml: true)
        #expect(await reader.readToEnd(timeout: .seconds(20)))
        let content = reader.content
        print("Spiel marks: \(content)")
        #expect(content.marks == ["middle"])
        let mark = try #require(content.events.first { $0.type == 4 })
        #expect(mark.atSample > Self.rate / 4 && mark.atSample < content.samples.count - Self.rate / 4)
        await harness.stop()
    }

    /// Word events (type 1) span each word of the text as sent, in order,
    /// as its audio starts; sentence events (type 2) come before the first
    /// word of each sentence and span it.
    @Test(.privateBus) func wordAndSentenceEventsFollowTheAudio() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        let text = "<speak>Good <emphasis>morning</emphasis> to all. And &amp; good night.</speak>"
        let reader = try await harness.client.synthesize(text, voice: english, ssml: true)
        #expect(await reader.readToEnd(timeout: .seconds(20)))
        let content = reader.content
        let plain = Array("Good morning to all. And & good night.".unicodeScalars)
        let words = content.events.filter { $0.type == 1 }.map { String(String.UnicodeScalarView(plain[Int($0.rangeStart)..<Int($0.rangeEnd)])) }
        #expect(words == ["Good", "morning", "to", "all.", "And", "&", "good", "night."])
        let sentences = content.events.filter { $0.type == 2 }.map { (Int($0.rangeStart), Int($0.rangeEnd)) }
        #expect(sentences.map { $0.0 } == [0, 21] && sentences.map { $0.1 } == [20, plain.count])
        // Each event comes as its word is heard: later words after more audio, the last well inside it.
        let at = content.events.filter { $0.type == 1 }.map(\.atSample)
        #expect(at == at.sorted() && Set(at).count == at.count, "\(at)")
        #expect(at.last! > content.samples.count / 2 && at.last! < content.samples.count - Self.rate / 10)
        await harness.stop()
    }

    @Test(.privateBus) func rateAndPitchChangeTheSpeech() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        var lengths: [Double: Int] = [:]
        for rate in [0.5, 1, 2] {
            let reader = try await harness.client.synthesize(Self.sentence, voice: english, pitch: 1.5, rate: rate)
            #expect(await reader.readToEnd(timeout: .seconds(20)))
            lengths[rate] = reader.content.samples.count
        }
        print("Spiel rates 0.5, 1, 2: \(lengths.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) samples" })")
        let slow = try #require(lengths[0.5]), normal = try #require(lengths[1]), fast = try #require(lengths[2])
        #expect(Double(slow) > Double(normal) * 1.5)
        #expect(Double(fast) < Double(normal) * 0.7)
        await harness.stop()
    }

    @Test(.privateBus) func twoRequestsRunAtOnceAndAStalledClientHoldsUpNoOther() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        // A reads nothing: its pipe and the provider's queue fill, and it waits.
        let stalled = try await harness.client.synthesize(Self.paragraph + " " + Self.paragraph, voice: english)
        let start = ContinuousClock.now
        let other = try await harness.client.synthesize(Self.sentence, voice: english)
        #expect(await other.readToEnd(timeout: .seconds(20)), "B did not end while A was stalled")
        let otherDone = ContinuousClock.now - start
        // B is counted out just after its pipe closes, so the reader can see the
        // end first (it did under ThreadSanitizer): wait for that, then A must remain.
        let countedOut = ContinuousClock.now + .seconds(1).timingScaled
        while harness.provider.activeRequests > 1, ContinuousClock.now < countedOut {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(harness.provider.activeRequests == 1, "A is still running")
        // The bus is still served while A waits.
        _ = try await harness.client.property("Name")
        #expect(await stalled.readToEnd(timeout: .seconds(30)))
        print("Spiel concurrency: B (sentence) ended after \(otherDone) while A was stalled; "
            + "A: \(stalled.content.seconds(rate: Self.rate)) s, B: \(other.content.seconds(rate: Self.rate)) s")
        #expect(stalled.content.seconds(rate: Self.rate) > 25)
        #expect(other.content.seconds(rate: Self.rate) > 1.5)
        #expect(await harness.waitUntilIdle() != nil)
        await harness.stop()
    }

    @Test(.privateBus) func twoClientsReadingTogetherBothGetTheirWholeStream() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        let texts = [Self.paragraph, "A different sentence, said at the same time by another client."]
        let readers = try await withThrowingTaskGroup(of: (Int, SpielPipeReader).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask {
                    let reader = try await harness.client.synthesize(text, voice: english)
                    await reader.readToEnd(timeout: .seconds(30))
                    return (index, reader)
                }
            }
            var readers: [Int: SpielPipeReader] = [:]
            for try await (index, reader) in group { readers[index] = reader }
            return readers
        }
        let first = try #require(readers[0]).content, second = try #require(readers[1]).content
        print("Spiel two at once: \(first.seconds(rate: Self.rate)) s and \(second.seconds(rate: Self.rate)) s")
        #expect(try #require(readers[0]).reachedEnd && (try #require(readers[1]).reachedEnd))
        #expect(first.seconds(rate: Self.rate) > 10 && first.seconds(rate: Self.rate) < 30)
        #expect(second.seconds(rate: Self.rate) > 2 && second.seconds(rate: Self.rate) < 8)
        await harness.stop()
    }

    @Test(.privateBus) func closingThePipeStopsTheWorkAndLaterRequestsStillWork() async throws {
        let (harness, english) = try await ProviderHarness.espeak()
        let long = Array(repeating: Self.paragraph, count: 8).joined(separator: "\n\n")
        let reader = try await harness.client.synthesize(long, voice: english)
        await reader.read(atLeast: 20_000, timeout: .seconds(10))
        #expect(harness.provider.activeRequests == 1)
        let closedAt = ContinuousClock.now
        reader.close()
        let stopped = try #require(await harness.waitUntilIdle(timeout: .seconds(5)), "the request still runs 5 s after the close")
        print("Spiel early close: request ended \(stopped) after the client closed its end (\(reader.bytes.count) bytes read)")
        #expect(stopped < .seconds(1).timingScaled)

        // espeak-ng is free again: the next request's first audio comes quickly.
        let next = try await harness.client.synthesize(Self.sentence, voice: english)
        let asked = ContinuousClock.now
        await next.read(atLeast: 4096, timeout: .seconds(10))
        let firstAudio = ContinuousClock.now - asked
        #expect(await next.readToEnd(timeout: .seconds(20)))
        print("Spiel after the close: first 4 KiB of the next request after \(firstAudio); closed at \(closedAt)")
        #expect(firstAudio < .seconds(2).timingScaled)
        #expect(next.content.seconds(rate: Self.rate) > 1.5)
        await harness.stop()
    }

    @Test(.privateBus) func voicesMatchTheEngineAndNameIsHerald() async throws {
        let (harness, _) = try await ProviderHarness.espeak()
        let engine = try EspeakEngine(logger: Logger(label: "test"))
        let expected = await engine.voices()
        let listed = try await harness.client.voices()
        #expect(listed.map(\.id) == expected.map(\.id))
        #expect(listed.map(\.name) == expected.map(\.name))
        #expect(listed.allSatisfy { $0.outputFormat == "audio/x-spiel,format=S16LE,channels=1,rate=22050" })
        #expect(listed.allSatisfy { $0.features == 0x1 | 0x2 | 0x8 | 0x1000 | 0x2000 })
        #expect(listed.filter { !$0.languages.isEmpty }.count == expected.filter { !$0.language.isEmpty }.count)
        #expect(try await harness.client.property("Name").string == "Herald")
        let xml = try await harness.client.connection.call(
            destination: SpielProvider.busName, path: SpielProvider.objectPath,
            interface: "org.freedesktop.DBus.Introspectable", method: "Introspect")
        #expect(xml.first?.string?.contains("<property name=\"Voices\" type=\"a(ssstas)\"") == true)
        await harness.stop()
    }

    @Test(.privateBus) func aVoiceChangeIsAnnouncedWithPropertiesChanged() async throws {
        let (harness, _) = try await ProviderHarness.espeak()
        let signals = try await harness.client.connection.signals(
            matching: DBusMatchRule(
                path: SpielProvider.objectPath, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged"))
        let before = harness.provider.voices.map(\.voice)
        let cloud = Voice(id: "@cf/deepgram/aura-2-en:luna", name: "luna", language: "en", engine: "@cf/deepgram/aura-2-en")
        harness.provider.setVoices([cloud] + before, engines: [try EspeakEngine(logger: Logger(label: "test"))])
        let signal = try #require(await signals.first(within: .seconds(5)), "no PropertiesChanged within 5 s")
        #expect(signal.arguments.first?.string == SpielProvider.interface)
        let changed = try #require(signal.arguments.dropFirst().first?.dictionary)
        let voices = try #require(changed["Voices"]?.array).compactMap(SpielClient.Voice.init)
        #expect(voices.count == before.count + 1)
        #expect(voices.first?.id == cloud.id)
        #expect(voices.first?.outputFormat == "audio/x-spiel,format=S16LE,channels=1,rate=24000")
        #expect(voices.first?.features == 0x2 | 0x2000)
        #expect(try await harness.client.voices().count == before.count + 1)
        await harness.stop()
    }
}
