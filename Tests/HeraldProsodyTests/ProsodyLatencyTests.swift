import HeraldCore
import HeraldProsody
import HeraldTesting
import Testing

/// What the stage adds before a message's first audio: sonic needs two pitch
/// periods of input (about 31 ms at 24 kHz) before it gives any, which a
/// cloud voice's first chunk holds, so the cost is its computing time.
@Suite struct ProsodyLatencyTests {
    @Test func firstAudioOverheadIsPrinted() async throws {
        let engine = SineEngine(secondsPerSegment: 2)
        let phrase = SpeechChunk([.text("a phrase")])
        func firstAudio(_ stream: AsyncThrowingStream<SynthesisOutput, any Error>) async throws -> Duration {
            let start = ContinuousClock.now
            for try await output in stream {
                if case .audio = output { return ContinuousClock.now - start }
            }
            return .zero
        }
        var overheads: [Duration] = []
        for _ in 0..<21 {
            let own = try await firstAudio(engine.synthesize(phrase, settings: VoiceSettings()))
            let staged = try await firstAudio(ProsodyStage(engine).synthesize(phrase, settings: VoiceSettings(rate: 60, pitch: 20)))
            overheads.append(staged - own)
        }
        let median = overheads.sorted()[overheads.count / 2]
        print("prosody stage, first audio of 100 ms chunks at 24 kHz: median \(median) more than the engine alone, worst \(overheads.max()!)")
        #expect(median < .milliseconds(50))
    }
}
