import HeraldCore
import HeraldTesting
import HeraldSystem
import Testing

/// An engine that counts its calls, so a test can tell a cache hit from a miss.
private final class CountingEngine: SpeechEngine {
    let tone = ToneEngine(name: "counting")
    var nativeFormat: AudioFormat { tone.format }
    let calls = Locked(0)
    let engineName = Locked("counting")
    let worthCaching = Locked(true)
    var isWorthCaching: Bool { worthCaching.withLock { $0 } }
    let nativeProsody = Locked(false)
    var hasNativeProsody: Bool { nativeProsody.withLock { $0 } }
    /// The settings of each call, as the engine was asked.
    let asked = Locked<[VoiceSettings]>([])

    var name: String { engineName.withLock { $0 } }
    func voices() async -> [Voice] { await tone.voices() }

    func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        calls.withLock { $0 += 1 }
        asked.withLock { $0.append(settings) }
        return tone.synthesize(chunk, settings: settings)
    }
}

private func collect(_ stream: AsyncThrowingStream<SynthesisOutput, any Error>) async throws -> [SynthesisOutput] {
    var outputs: [SynthesisOutput] = []
    for try await output in stream { outputs.append(output) }
    return outputs
}

@Suite struct CachingEngineTests {
    let link = SpeechChunk([.text("link")])

    @Test func aRepeatedShortChunkIsServedFromTheCacheWithTheSameOutput() async throws {
        let inner = CountingEngine()
        let engine = CachingEngine(inner)
        let first = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        let second = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        #expect(first == second)
        #expect(!first.isEmpty)
        #expect(inner.calls.withLock { $0 } == 1)
    }

    @Test func otherSettingsTextOrEngineAreMisses() async throws {
        let inner = CountingEngine()
        let engine = CachingEngine(inner)
        _ = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        var otherVoice = VoiceSettings()
        otherVoice.voice = "counting:other"
        _ = try await collect(engine.synthesize(link, settings: otherVoice))
        _ = try await collect(engine.synthesize(SpeechChunk([.text("button")]), settings: VoiceSettings()))
        inner.engineName.withLock { $0 = "fallback" }
        _ = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        #expect(inner.calls.withLock { $0 } == 4)
    }

    /// Audio is kept as an engine without rate, pitch and volume controls made
    /// it (the prosody stage after the cache applies them), so those settings
    /// share one entry and the engine is asked at normal prosody; an engine
    /// with its own controls is asked, and cached, per setting.
    @Test func rateChangesAreMissesOnlyForAnEngineWithNativeProsody() async throws {
        var faster = VoiceSettings()
        faster.rate = 50
        faster.volume = 20

        let plain = CountingEngine()
        let cached = CachingEngine(plain)
        _ = try await collect(cached.synthesize(link, settings: VoiceSettings()))
        _ = try await collect(cached.synthesize(link, settings: faster))
        #expect(plain.calls.withLock { $0 } == 1)
        #expect(plain.asked.withLock { $0 } == [VoiceSettings()])

        let native = CountingEngine()
        native.nativeProsody.withLock { $0 = true }
        let nativeCached = CachingEngine(native)
        #expect(nativeCached.hasNativeProsody)
        _ = try await collect(nativeCached.synthesize(link, settings: VoiceSettings()))
        _ = try await collect(nativeCached.synthesize(link, settings: faster))
        #expect(native.calls.withLock { $0 } == 2)
        #expect(native.asked.withLock { $0 } == [VoiceSettings(), faster])
    }

    @Test func anEngineNotWorthCachingIsAskedEveryTimeAndKeepsNothing() async throws {
        let inner = CountingEngine()
        inner.worthCaching.withLock { $0 = false }
        let engine = CachingEngine(inner)
        let first = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        let second = try await collect(engine.synthesize(link, settings: VoiceSettings()))
        #expect(first == second)
        #expect(inner.calls.withLock { $0 } == 2)
        #expect(engine.usage.entries == 0 && engine.usage.bytes == 0)
    }

    @Test func longChunksAndFailuresAreNotKept() async throws {
        let inner = CountingEngine()
        let engine = CachingEngine(inner, maxCharacters: 10)
        let long = SpeechChunk([.text("a sentence longer than ten characters")])
        _ = try await collect(engine.synthesize(long, settings: VoiceSettings()))
        _ = try await collect(engine.synthesize(long, settings: VoiceSettings()))
        #expect(inner.calls.withLock { $0 } == 2)
        #expect(engine.usage.entries == 0)

        let failing = CachingEngine(ToneEngine(failWord: "boom"))
        await #expect(throws: EngineError.self) {
            _ = try await collect(failing.synthesize(SpeechChunk([.text("boom")]), settings: VoiceSettings()))
        }
        #expect(failing.usage.entries == 0)
    }

    @Test func theLeastRecentlyUsedEntryGoesWhenTheBudgetIsFull() async throws {
        let inner = CountingEngine()
        // "ab" is 20 ms at 8 kHz: 160 samples, 320 bytes; room for two such entries.
        let engine = CachingEngine(inner, maxBytes: 700)
        let words = ["ab", "cd", "ef"].map { SpeechChunk([.text($0)]) }
        _ = try await collect(engine.synthesize(words[0], settings: VoiceSettings()))
        _ = try await collect(engine.synthesize(words[1], settings: VoiceSettings()))
        _ = try await collect(engine.synthesize(words[0], settings: VoiceSettings()))  // hit: "cd" is now the oldest
        _ = try await collect(engine.synthesize(words[2], settings: VoiceSettings()))
        #expect(engine.usage.entries == 2)
        #expect(engine.usage.bytes <= 700)
        _ = try await collect(engine.synthesize(words[0], settings: VoiceSettings()))
        #expect(inner.calls.withLock { $0 } == 3)
        _ = try await collect(engine.synthesize(words[1], settings: VoiceSettings()))
        #expect(inner.calls.withLock { $0 } == 4)
    }

    @Test func enginesSharingAStoreKeepTheirOwnEntriesWithinOneBound() async throws {
        let first = CountingEngine()
        let second = CountingEngine()
        second.engineName.withLock { $0 = "second" }
        // "ab" is 320 bytes: room for two entries in all.
        let one = CachingEngine(first, maxBytes: 700)
        let two = CachingEngine(second, sharingStoreOf: one)
        _ = try await collect(one.synthesize(SpeechChunk([.text("ab")]), settings: VoiceSettings()))
        _ = try await collect(two.synthesize(SpeechChunk([.text("ab")]), settings: VoiceSettings()))
        _ = try await collect(two.synthesize(SpeechChunk([.text("ab")]), settings: VoiceSettings()))
        #expect(first.calls.withLock { $0 } == 1 && second.calls.withLock { $0 } == 1, "each engine has its own entry")
        _ = try await collect(two.synthesize(SpeechChunk([.text("cd")]), settings: VoiceSettings()))
        #expect(one.usage.entries == 2 && one.usage.bytes <= 700, "one bound for both: \(one.usage)")
    }
}
