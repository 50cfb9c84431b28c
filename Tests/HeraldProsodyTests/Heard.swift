import HeraldCore
import HeraldTesting

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
