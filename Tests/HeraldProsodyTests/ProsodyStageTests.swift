import HeraldCore
import HeraldProsody
import HeraldTesting
import Testing

/// The sonic stage as a listener hears it, with the real libsonic: rate
/// shortens speech and keeps its pitch, pitch moves the voice and keeps its
/// length, volume scales it, and normal settings or a voice with its own
/// controls come out untouched.
@Suite struct ProsodyStageTests {
    let phrase = SpeechChunk([.text("a phrase")])

    func settings(rate: Int = 0, pitch: Int = 0, volume: Int = 100) -> VoiceSettings {
        VoiceSettings(rate: rate, pitch: pitch, volume: volume)
    }

    @Test(arguments: [60, 100, -50])
    func rateChangesTheLengthByTheMappedFactorAndKeepsTheFrequency(rate: Int) async throws {
        let engine = SineEngine()
        let normal = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings()), format: engine.format)
        let fast = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings(rate: rate)), format: engine.format)
        let speed = Prosody.speed(rate: rate)
        print("rate \(rate): \(normal.seconds) s → \(fast.seconds) s (×\(normal.seconds / fast.seconds), mapped \(speed)); "
            + "\(normal.frequency) Hz → \(fast.frequency) Hz")
        #expect(abs(fast.seconds * speed / normal.seconds - 1) < 0.03)
        #expect(abs(fast.frequency / normal.frequency - 1) < 0.03)
    }

    @Test func pitchRaisesTheFrequencyByTheMappedFactorAndKeepsTheLength() async throws {
        let engine = SineEngine()
        let normal = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings()), format: engine.format)
        let higher = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings(pitch: 50)), format: engine.format)
        let factor = Prosody.pitchFactor(pitch: 50)
        print("pitch 50: \(normal.frequency) Hz → \(higher.frequency) Hz (mapped ×\(factor)); \(normal.seconds) s → \(higher.seconds) s")
        #expect(abs(higher.frequency / (normal.frequency * factor) - 1) < 0.03)
        #expect(abs(higher.seconds / normal.seconds - 1) < 0.03)
    }

    @Test(arguments: [(0, 0.5), (-100, 0.0), (50, 0.75)])
    func volumeScalesTheLevel(volume: Int, gain: Double) async throws {
        let engine = SineEngine()
        let full = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings()), format: engine.format)
        let scaled = try await Heard.of(ProsodyStage(engine).synthesize(phrase, settings: settings(volume: volume)), format: engine.format)
        #expect(Prosody.gain(volume: volume) == gain)
        #expect(abs(scaled.rms - full.rms * gain) < 0.01, "RMS \(scaled.rms) for \(full.rms) × \(gain)")
        #expect(scaled.samples.count == full.samples.count)
    }

    @Test func normalSettingsPassTheEnginesOwnOutputThroughBitExact() async throws {
        let engine = SineEngine()
        let marked = SpeechChunk([.text("one"), .mark("m"), .text("two")])
        let own = try await Heard.of(engine.synthesize(marked, settings: settings()), format: engine.format)
        var other = settings()
        other.pitchRange = 40
        let staged = try await Heard.of(ProsodyStage(engine).synthesize(marked, settings: other), format: engine.format)
        #expect(staged.outputs == own.outputs)
    }

    @Test func anEngineWithNativeProsodyIsUntouched() async throws {
        let engine = SineEngine(native: true)
        let own = try await Heard.of(engine.synthesize(phrase, settings: settings(rate: 60, pitch: 50, volume: 0)), format: engine.format)
        let staged = try await Heard.of(
            ProsodyStage(engine).synthesize(phrase, settings: settings(rate: 60, pitch: 50, volume: 0)), format: engine.format)
        #expect(staged.outputs == own.outputs)
        #expect(ProsodyStage(engine).hasNativeProsody && ProsodyStage(SineEngine()).hasNativeProsody)
    }

    @Test func marksComeAfterTheStretchedAudioThatPrecededThem() async throws {
        let engine = SineEngine()
        let marked = SpeechChunk([.text("one"), .mark("first"), .text("two"), .mark("second"), .text("three")])
        let heard = try await Heard.of(ProsodyStage(engine).synthesize(marked, settings: settings(rate: 60)), format: engine.format)
        let speed = Prosody.speed(rate: 60)
        let first = try #require(heard.secondsBefore(mark: "first"))
        let second = try #require(heard.secondsBefore(mark: "second"))
        print("rate 60 marks at \(first) s and \(second) s of \(heard.seconds) s (expected \(1 / speed), \(2 / speed), \(3 / speed))")
        // After all the stretched audio before it (not a frame early), and not later than 3 % of it.
        let frame = 1 / Double(engine.format.sampleRate)
        #expect(first >= 1 / speed - frame / 2 && first * speed < 1.03)
        #expect(second >= 2 / speed - frame / 2 && second * speed < 2 * 1.03)
        #expect(abs(heard.seconds * speed - 3) < 0.03)
        #expect(abs(heard.frequency / engine.frequency - 1) < 0.03)
    }

    @Test func aPhraseCachedAtOneRatePlaysFromTheCacheAtAnother() async throws {
        let engine = SineEngine(secondsPerSegment: 0.5)
        let stage = ProsodyStage(CachingEngine(engine))
        let normal = try await Heard.of(stage.synthesize(phrase, settings: settings()), format: engine.format)
        let fast = try await Heard.of(stage.synthesize(phrase, settings: settings(rate: 60)), format: engine.format)
        let speed = Prosody.speed(rate: 60)
        #expect(engine.calls.withLock { $0 } == 1, "the second request was synthesised again")
        #expect(abs(fast.seconds * speed / normal.seconds - 1) < 0.03, "\(normal.seconds) s → \(fast.seconds) s")
    }

    @Test func theWrapperForwardsWhatTheChainAsksOfAnEngine() async throws {
        let stage = ProsodyStage(CachingEngine(SineEngine(name: "cloud")))
        #expect(stage.name == "cloud")
        #expect(await stage.voices().map(\.id) == ["cloud:default"])
        #expect(!stage.boundsItsOwnWaits && stage.isWorthCaching)
    }
}
