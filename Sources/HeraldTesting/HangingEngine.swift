public import HeraldCore
internal import HeraldSystem

/// An engine that hangs, as a library call that never returns would: it
/// yields `framesBeforeHanging` frames of a tone, then nothing, ever, until
/// its stream is dropped. It counts how often it was asked to stop, so a test
/// can see that the watchdog let go of it.
public final class HangingEngine: SpeechEngine {
    public let name: String
    public let format = AudioFormat(sampleRate: 8000)
    public var nativeFormat: AudioFormat { format }
    public let framesBeforeHanging: Int
    private let stops = Locked(0)

    public init(name: String = "hanging", framesBeforeHanging: Int = 0) {
        self.name = name
        self.framesBeforeHanging = framesBeforeHanging
    }

    /// Streams dropped by their consumer.
    public var stopped: Int { stops.withLock { $0 } }

    public func voices() async -> [Voice] {
        [Voice(id: "\(name):default", name: "Hanging", language: "en", engine: name)]
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        if framesBeforeHanging > 0 {
            continuation.yield(.audio(AudioChunk(format: format, samples: [Int16](repeating: 4000, count: framesBeforeHanging))))
        }
        continuation.onTermination = { [self] _ in stops.withLock { $0 += 1 } }
        return stream
    }
}
