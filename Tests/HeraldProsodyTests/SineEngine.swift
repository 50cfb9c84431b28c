import HeraldCore
import HeraldSystem
import HeraldTesting

/// A voice without prosody controls whose audio is easy to measure: each
/// text segment is `secondsPerSegment` of a `frequency` Hz sine in 100 ms
/// chunks, a mark stays where it is, and every call is counted (a cache hit
/// makes none).
final class SineEngine: SpeechEngine {
    let name: String
    let format = AudioFormat(sampleRate: 24_000)
    var nativeFormat: AudioFormat { format }
    let frequency = 200.0
    let secondsPerSegment: Double
    let native: Bool
    let calls = Locked(0)

    init(name: String = "sine", secondsPerSegment: Double = 1, native: Bool = false) {
        self.name = name
        self.secondsPerSegment = secondsPerSegment
        self.native = native
    }

    var hasNativeProsody: Bool { native }

    func voices() async -> [Voice] { [Voice(id: "\(name):default", name: "Sine", language: "en", engine: name)] }

    func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        calls.withLock { $0 += 1 }
        let tone = TestTone.chunks(frequency: frequency, seconds: secondsPerSegment, format: format)
        return AsyncThrowingStream { continuation in
            for segment in chunk.segments {
                switch segment {
                case .text: for audio in tone { continuation.yield(.audio(audio)) }
                case .mark(let name): continuation.yield(.mark(name))
                case .pause: break
                }
            }
            continuation.finish()
        }
    }
}
