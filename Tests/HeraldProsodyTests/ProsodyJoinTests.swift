import HeraldCore
import HeraldProsody
import HeraldTesting
import Testing

/// Where the stretched audio meets something else (a mark, the engine's
/// chunk joins, a first chunk too short for sonic, the end of a chunk) it must
/// not jump: a click is a step far larger than the tone's own steepest slope.
@Suite struct ProsodyJoinTests {
    static func largestStep(_ samples: [Int16]) -> Int {
        zip(samples, samples.dropFirst()).map { abs(Int($1) - Int($0)) }.max() ?? 0
    }

    @Test(arguments: [10, 20, 100])
    func marksAndChunkJoinsMakeNoClicks(chunkMilliseconds: Int) async throws {
        let format = AudioFormat(sampleRate: 24_000)
        let tone = TestTone.chunks(frequency: 200, seconds: 0.3, format: format, chunkMilliseconds: chunkMilliseconds)
        let own = Heard(outputs: tone.map { .audio($0) }, format: format)
        let engine = ScriptedEngine(outputs: tone.map { .audio($0) } + [.mark("m")] + tone.map { .audio($0) })
        for rate in [60, -50] {
            let heard = try await Heard.of(
                ProsodyStage(engine).synthesize(SpeechChunk([.text("x")]), settings: VoiceSettings(rate: rate)), format: format)
            let step = Self.largestStep(heard.samples), natural = Self.largestStep(own.samples)
            print("rate \(rate), \(chunkMilliseconds) ms chunks: largest step \(step) (the tone's own: \(natural))")
            #expect(heard.samples.last == 0, "the end fades out, so the next chunk starts cleanly")
            #expect(Double(step) < Double(natural) * 1.5)
        }
    }
}
