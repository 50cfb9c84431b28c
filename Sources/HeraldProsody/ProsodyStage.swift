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
/// stream owned by this synthesis's task; a mark flushes it, so the mark comes
/// after the stretched audio that preceded it, and so does the stream's end.
public struct ProsodyStage: SpeechEngine {
    private let engine: any SpeechEngine

    public init(_ engine: any SpeechEngine) {
        self.engine = engine
    }

    public var name: String { engine.name }

    public func voices() async -> [Voice] { await engine.voices() }

    public var boundsItsOwnWaits: Bool { engine.boundsItsOwnWaits }

    public var isWorthCaching: Bool { engine.isWorthCaching }

    /// Whatever this yields already has its rate, pitch and volume.
    public var hasNativeProsody: Bool { true }

    public func warmUp() async { await engine.warmUp() }

    public func shutDown() async { await engine.shutDown() }

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

    /// Runs `source` through a stretcher made for the first audio's format
    /// (and made again if the format changes).
    private static func apply(
        _ settings: VoiceSettings, to source: AsyncThrowingStream<SynthesisOutput, any Error>, engine: String,
        into output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation
    ) async throws {
        var stretcher: SonicStretcher?
        func yield(_ samples: [Int16], _ format: AudioFormat) {
            if !samples.isEmpty { output.yield(.audio(AudioChunk(format: format, samples: samples))) }
        }
        for try await item in source {
            switch item {
            case .audio(let audio):
                if let current = stretcher, current.format != audio.format {
                    yield(try current.flush(engine: engine), current.format)
                    stretcher = nil
                }
                let current = try stretcher ?? SonicStretcher(format: audio.format, settings: settings, engine: engine)
                stretcher = current
                yield(try current.process(audio, engine: engine), audio.format)
            case .mark:
                if let current = stretcher { yield(try current.flush(engine: engine), current.format) }
                output.yield(item)
            }
        }
        if !Task.isCancelled, let current = stretcher { yield(try current.flush(engine: engine), current.format) }
    }
}
