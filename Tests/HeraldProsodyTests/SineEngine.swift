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

/// What a synthesis stream yielded, as a listener would measure it.
struct Heard {
    let outputs: [SynthesisOutput]
    let format: AudioFormat

    var samples: [Int16] { outputs.flatMap { output -> [Int16] in if case .audio(let audio) = output { audio.samples } else { [] } } }
    var seconds: Double { format.seconds(frames: samples.count) }
    var wav: WAVFile { WAVFile(sampleRate: format.sampleRate, samples: samples) }
    /// The tone's frequency away from the edges, where sonic starts and flushes.
    var frequency: Double {
        let frames = samples.count
        return wav.toneFrequency(frames: frames / 10..<frames * 9 / 10)
    }
    var rms: Double {
        let frames = samples.count
        return wav.rms(frames: frames / 10..<frames * 9 / 10)
    }

    /// Seconds of audio before the mark `name`.
    func secondsBefore(mark name: String) -> Double? {
        var frames = 0
        for output in outputs {
            switch output {
            case .audio(let audio): frames += audio.frameCount
            case .mark(let mark) where mark == name: return format.seconds(frames: frames)
            case .mark: break
            }
        }
        return nil
    }

    static func of(_ stream: AsyncThrowingStream<SynthesisOutput, any Error>, format: AudioFormat) async throws -> Heard {
        var outputs: [SynthesisOutput] = []
        for try await output in stream { outputs.append(output) }
        return Heard(outputs: outputs, format: format)
    }
}
