public import HeraldConfig
public import HeraldAudio
public import HeraldCore
internal import HeraldProsody
public import Logging

/// The speech path of the daemon, front ends excluded: engine chain → player →
/// ALSA sink, with the scheduler that owns the queue. Tests build the same
/// pipeline the daemon runs.
public struct SpeechPipeline: Sendable {
    public let scheduler: Scheduler
    public let sink: AlsaSink
    /// The configured engines in fallback order, ending in espeak-ng; front
    /// ends that take audio without the queue and player (the Spiel provider)
    /// synthesise through it too.
    public let engine: EngineChain
    /// Every voice the configured engines offer.
    public let voices: [Voice]
    /// The chain's engines, in its order: the Spiel provider advertises each
    /// voice with its engine's format and mark timing.
    public let engines: [any SpeechEngine]
    private let releaseEngines: @Sendable () async -> Void

    /// The engine the next message would go to, for status output.
    public var engineName: String { engine.name }

    /// The longest chunk sent to an engine: about two long sentences, so the
    /// first audio comes quickly, a chunk never takes long to synthesise, and
    /// it stays far below Deepgram's 2000 characters per `Speak`.
    static let chunkCharacters = 500

    /// - Parameter environment: where `CLOUDFLARE_*` are read; nil: the process's.
    public init(configuration: Configuration, logger: Logger, environment: [String: String]? = nil) async throws(EngineError) {
        let (engines, languages, release) = try EngineFactory.engines(
            for: configuration, environment: environment, logger: logger)
        releaseEngines = release
        // Each engine behind its own cache (short phrases a screen reader repeats all day come from
        // memory, not the network), kept before rate, pitch and volume so one entry serves every rate,
        // all within one bound; the stage inside the chain, whose failover and marks count the frames it plays.
        var store: CachingEngine?
        let staged = engines.map { engine in
            let cached = store.map { CachingEngine(engine, sharingStoreOf: $0) } ?? CachingEngine(engine)
            store = store ?? cached
            return ProsodyStage(cached)
        }
        engine = await EngineChain(
            engines: staged, languages: languages, defaultVoices: configuration.defaultVoices, cooldown: configuration.cloudflare.cooldown,
            logger: logger)
        sink = AlsaSink(device: configuration.audioDevice, logger: logger)
        let player = Player(
            engine: engine, sink: sink, preparer: TextPreparer(maxChunkCharacters: Self.chunkCharacters),
            logger: logger)
        scheduler = Scheduler(player: player, logger: logger)
        voices = await engine.voices()
        self.engines = staged
        // Connections open in the background: the daemon serves at once, the first cloud words pay no handshake.
        let engine = self.engine
        Task { await engine.warmUp() }
    }

    /// Silences and releases everything: queued messages are canceled, the
    /// sound card closed.
    public func shutDown() async {
        await scheduler.shutDown()
        await engine.shutDown()
        await releaseEngines()
        sink.shutdown()
    }
}
