import HeraldCore
import HeraldEspeak
import Logging
import HeraldTesting
import Testing

/// How long espeak-ng takes from a request to its first audio, the figure the
/// SPEAK and CHAR benchmarks start with: a single word (a CHAR-like echo) and
/// a sentence, median of 30 each, printed for BENCHMARKS.md and bounded loosely.
struct EspeakLatencyTests {
    @Test func firstAudioComesWithinMilliseconds() async throws {
        let engine = try EspeakEngine(logger: Logger(label: "test"))
        func firstAudio(_ text: String) async throws -> Duration {
            let clock = ContinuousClock()
            let start = clock.now
            for try await output in engine.synthesize(SpeechChunk([.text(text)]), settings: VoiceSettings()) {
                if case .audio = output { return clock.now - start }
            }
            return .seconds(60)
        }
        _ = try await firstAudio("warm up")
        for (label, text) in [("word", "a"), ("sentence", "The quick brown fox jumps over the lazy dog.")] {
            var times: [Duration] = []
            for _ in 0..<30 { times.append(try await firstAudio(text)) }
            times.sort()
            let median = times[times.count / 2]
            print("espeak-ng first audio, \(label): median \(median), min \(times[0]), max \(times[times.count - 1])")
            #expect(median < .milliseconds(100).timingScaled, "\(label): median \(median)")
        }
    }
}
