public import HeraldCore

/// A stand-in engine whose output is easy to check: each character of a
/// chunk becomes `millisecondsPerCharacter` of a tone, and each mark is placed
/// at its character's position, as a cloud voice would place it.
///
/// Text containing `failWord` makes it throw, to test failure handling.
public struct ToneEngine: SpeechEngine {
    public let name: String
    public let format: AudioFormat
    public var nativeFormat: AudioFormat { format }
    public let millisecondsPerCharacter: Int
    public let failWord: String?

    public init(
        name: String = "tone", format: AudioFormat = AudioFormat(sampleRate: 8000), millisecondsPerCharacter: Int = 10,
        failWord: String? = nil
    ) {
        self.name = name
        self.format = format
        self.millisecondsPerCharacter = millisecondsPerCharacter
        self.failWord = failWord
    }

    public func voices() async -> [Voice] {
        [Voice(id: "\(name):default", name: "Tone", language: "en", engine: name)]
    }

    /// Frames the engine produces for `text`.
    public func frames(for text: String) -> Int {
        text.count * format.frames(milliseconds: millisecondsPerCharacter)
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        AsyncThrowingStream { continuation in
            if let failWord, chunk.plainText.contains(failWord) {
                continuation.finish(throwing: EngineError(.failed, engine: name, "scripted failure"))
                return
            }
            let perCharacter = format.frames(milliseconds: millisecondsPerCharacter)
            for segment in chunk.segments {
                switch segment {
                case .text(let text):
                    for _ in text {
                        let samples = (0..<perCharacter).map { Int16(8000 * ($0 % 20 < 10 ? 1 : -1)) }
                        continuation.yield(.audio(AudioChunk(format: format, samples: samples)))
                    }
                case .mark(let name):
                    continuation.yield(.mark(name))
                case .pause(let milliseconds):
                    let silence = [Int16](repeating: 0, count: format.frames(milliseconds: milliseconds))
                    continuation.yield(.audio(AudioChunk(format: format, samples: silence)))
                }
            }
            continuation.finish()
        }
    }
}
