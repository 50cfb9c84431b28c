public import HeraldCore

/// Rate, pitch and volume for an engine that has no controls of its own (the
/// cloud voices), applied to its audio with libsonic as it streams.
///
/// Screen-reader users listen at two or three times normal speed; a cloud
/// voice that ignored `RATE` would make them wait through every phrase. The
/// stage sits after the engine's cache (`ProsodyStage(CachingEngine(voice))`),
/// so a phrase cached at one rate plays at any other, and inside the engine
/// chain, whose failover and mark placement count the frames it yields.
///
/// Zero cost where it has nothing to do: an engine with native prosody
/// (espeak-ng), or settings at normal rate, pitch and volume, get the engine's
/// own stream back untouched. Otherwise the audio goes through one libsonic
/// stream owned by this synthesis's task (`ProsodyRun`); a mark comes out
/// where the stretched audio that preceded it ends, and the stream's end
/// flushes what sonic holds.
public struct ProsodyStage: EngineStage {
    private let engine: any SpeechEngine

    public init(_ engine: any SpeechEngine) {
        self.engine = engine
    }

    public var wrapped: any SpeechEngine { engine }

    /// Whatever this yields already has its rate, pitch and volume.
    public var hasNativeProsody: Bool { true }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        guard !engine.hasNativeProsody, !Prosody.isNeutral(settings) else {
            return engine.synthesize(chunk, settings: settings)
        }
        let source = engine.synthesize(chunk, settings: settings.withNeutralProsody)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let name = engine.name
        let task = Task {
            do {
                try await Self.apply(settings, to: source, engine: name, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private static func apply(
        _ settings: VoiceSettings, to source: AsyncThrowingStream<SynthesisOutput, any Error>, engine: String,
        into output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation
    ) async throws {
        let run = ProsodyRun(settings: settings, engine: engine, output: output)
        for try await item in source {
            switch item {
            case .audio(let audio): try run.audio(audio)
            case .mark(let name): run.mark(name)
            }
        }
        if !Task.isCancelled { try run.finish() }
    }
}
