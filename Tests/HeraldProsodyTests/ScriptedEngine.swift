import HeraldCore

/// An engine that yields a fixed list of outputs.
struct ScriptedEngine: SpeechEngine {
    let name = "scripted"
    let outputs: [SynthesisOutput]
    let nativeFormat = AudioFormat(sampleRate: 24_000)
    func voices() async -> [Voice] { [] }
    func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        AsyncThrowingStream { continuation in
            for output in outputs { continuation.yield(output) }
            continuation.finish()
        }
    }
}
