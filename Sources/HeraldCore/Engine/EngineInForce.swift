/// The engine of the setup in force, for those who synthesise without the
/// player (the Spiel provider, audio export, status): each chunk goes to the
/// engine in force when it starts, which is kept until that chunk's stream
/// ends, so a reload never shuts an engine down under a chunk.
public final class EngineInForce: SpeechEngine {
    private let setups: SetupInForce

    public init(_ setups: SetupInForce) {
        self.setups = setups
    }

    private var engine: any SpeechEngine { setups.current.engine }

    public var name: String { engine.name }
    public func voices() async -> [Voice] { await engine.voices() }
    public var boundsItsOwnWaits: Bool { engine.boundsItsOwnWaits }
    public var isWorthCaching: Bool { engine.isWorthCaching }
    public var hasNativeProsody: Bool { engine.hasNativeProsody }
    public var isLocal: Bool { engine.isLocal }
    public var markTiming: MarkTiming { engine.markTiming }
    public var nativeFormat: AudioFormat { engine.nativeFormat }
    public func warmUp() async { await engine.warmUp() }
    /// Nothing: setups are retired by whoever replaces them.
    public func shutDown() async {}

    /// The setup in force, whose text rules (lexicon, script detection) text
    /// prepared for this engine follows.
    public var setup: SpeechSetup { setups.current }

    /// Each engine's state, when the engine in force is a chain.
    public var status: [EngineChain.Health] { (engine as? EngineChain)?.status ?? [] }

    /// The engines of the chain in force, in its order.
    public var engines: [any SpeechEngine] { (engine as? EngineChain)?.engines ?? [engine] }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let lease = setups.lease()
        let outputs = lease.setup.engine.synthesize(chunk, settings: settings)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let task = Task {
            do {
                for try await output in outputs { continuation.yield(output) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            withExtendedLifetime(lease) {}
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

extension TextPreparer {
    /// This preparer with `setup`'s text rules: its lexicon and script detection.
    public func following(_ setup: SpeechSetup) -> TextPreparer {
        var preparer = self
        preparer.lexicon = setup.lexicon
        preparer.detectScript = setup.detectScript
        return preparer
    }

    /// This preparer with the rules in force when `engine` is the daemon's
    /// engine in force (Spiel, export: said as a message starting now would
    /// be); unchanged for any other engine.
    public func following(_ engine: any SpeechEngine) -> TextPreparer {
        (engine as? EngineInForce).map { following($0.setup) } ?? self
    }
}
