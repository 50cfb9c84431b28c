/// An engine in front of another that changes only what it yields (the
/// cache, the prosody stage): in every other respect, its name, voices,
/// facts and life, it is the engine behind it, so the chain and the Spiel
/// provider see through it.
public protocol EngineStage: SpeechEngine {
    /// The engine this stage is in front of.
    var wrapped: any SpeechEngine { get }
}

extension EngineStage {
    public var name: String { wrapped.name }
    public func voices() async -> [Voice] { await wrapped.voices() }
    public var boundsItsOwnWaits: Bool { wrapped.boundsItsOwnWaits }
    public var isWorthCaching: Bool { wrapped.isWorthCaching }
    public var hasNativeProsody: Bool { wrapped.hasNativeProsody }
    public var isLocal: Bool { wrapped.isLocal }
    public var markTiming: MarkTiming { wrapped.markTiming }
    public var nativeFormat: AudioFormat { wrapped.nativeFormat }
    public func warmUp() async { await wrapped.warmUp() }
    public func shutDown() async { await wrapped.shutDown() }
}
