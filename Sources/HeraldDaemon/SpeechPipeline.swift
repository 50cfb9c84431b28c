public import HeraldConfig
internal import HeraldAudio
public import HeraldCore
internal import HeraldProsody
public import Logging

/// The speech path of the daemon, front ends excluded: engine chain → player →
/// ALSA sink, with the scheduler that owns the queue. Tests build the same
/// pipeline the daemon runs.
///
/// The engine chain and the sound device are those of one configuration, a
/// `SpeechSetup`; `apply(_:)` puts another in force for the next message
/// while what is speaking finishes as it began.
public struct SpeechPipeline: Sendable {
    public let scheduler: Scheduler
    /// The engine chain and sound device in force, and those still finishing a message.
    public let setups: SetupInForce
    /// The configured engines in fallback order, ending in espeak-ng, as in
    /// force when asked; front ends that take audio without the queue and
    /// player (the Spiel provider, export) synthesise through it too.
    public let engine: EngineInForce
    private let logger: Logger
    private let environment: [String: String]?

    /// The engine the next message would go to, for status output.
    public var engineName: String { engine.name }

    /// Every voice the engines in force offer.
    public func voices() async -> [Voice] { await engine.voices() }

    /// The engines in force, in chain order: the Spiel provider advertises
    /// each voice with its engine's format and mark timing.
    public var engines: [any SpeechEngine] { engine.engines }

    /// The longest chunk sent to an engine: about two long sentences, so the
    /// first audio comes quickly, a chunk never takes long to synthesise, and
    /// it stays far below Deepgram's 2000 characters per `Speak`.
    static let chunkCharacters = 500

    /// - Parameter environment: where `CLOUDFLARE_*` are read; nil: the process's.
    public init(configuration: Configuration, logger: Logger, environment: [String: String]? = nil) async throws(EngineError) {
        let built = try await EngineFactory.engines(for: configuration, environment: environment, logger: logger)
        for problem in built.problems { logger.warning("\(problem)") }
        // A lexicon that cannot be read costs its pronunciations, never the voice.
        let lexicon: Lexicon
        do {
            lexicon = try Self.lexicon(of: configuration, environment: environment)
        } catch {
            logger.error("lexicon left out: \(error)")
            lexicon = .empty
        }
        let setup = await Self.setup(
            of: built, configuration: configuration, sink: AlsaSink(device: configuration.audioDevice, logger: logger),
            lexicon: lexicon, logger: logger)
        setups = SetupInForce(setup) { retired, inForce in
            await retired.engine.shutDown()
            await retired.release()
            // A reload that kept the device kept its sink.
            if let sink = retired.sink as? AlsaSink, sink !== inForce.sink as? AlsaSink { sink.shutdown() }
        }
        engine = EngineInForce(setups)
        let player = Player(
            setups: setups, preparer: TextPreparer(maxChunkCharacters: Self.chunkCharacters), logger: logger)
        scheduler = Scheduler(player: player, logger: logger)
        self.logger = logger
        self.environment = environment
    }

    /// Builds the engines and device `configuration` names and puts them in
    /// force: the next message uses them, what is speaking or paused finishes
    /// with what it began with. The queue is untouched.
    ///
    /// - Throws: `ReloadError`, changing nothing, when an engine the
    ///   configuration names cannot be used (credentials, the offline helper).
    public func apply(_ configuration: Configuration, file: String) async throws(ReloadError) {
        let lexicon: Lexicon
        do {
            lexicon = try Self.lexicon(of: configuration, environment: environment)
        } catch {
            throw ReloadError(error)
        }
        let built: EngineFactory.Built
        do {
            built = try await EngineFactory.engines(for: configuration, environment: environment, logger: logger)
        } catch {
            throw ReloadError(file: file, problems: ["\(error)"])
        }
        guard built.problems.isEmpty else {
            for engine in built.engines { await engine.shutDown() }
            await built.release()
            throw ReloadError(file: file, problems: built.problems)
        }
        let inForce = setups.current.sink as? AlsaSink
        let sink = inForce.flatMap { $0.device == configuration.audioDevice ? $0 : nil }
            ?? AlsaSink(device: configuration.audioDevice, logger: logger)
        setups.replace(with: await Self.setup(of: built, configuration: configuration, sink: sink, lexicon: lexicon, logger: logger))
    }

    /// The lexicon the configuration names, or the default one if it exists.
    private static func lexicon(of configuration: Configuration, environment: [String: String]?) throws(ConfigurationError) -> Lexicon {
        let (path, named) = configuration.lexiconPath(environment: environment)
        return try LexiconFile.load(path: path, named: named)
    }

    private static func setup(
        of built: EngineFactory.Built, configuration: Configuration, sink: AlsaSink, lexicon: Lexicon, logger: Logger
    ) async -> SpeechSetup {
        // Each engine behind its own cache (short phrases a screen reader repeats all day come from
        // memory, not the network), kept before rate, pitch and volume so one entry serves every rate,
        // all within one bound; the stage inside the chain, whose failover and marks count the frames it plays.
        var store: CachingEngine?
        let staged = built.engines.map { engine in
            let cached = store.map { CachingEngine(engine, sharingStoreOf: $0) } ?? CachingEngine(engine)
            store = store ?? cached
            return ProsodyStage(cached)
        }
        let chain = await EngineChain(
            engines: staged, languages: built.languages, defaultVoices: configuration.defaultVoices,
            cooldown: configuration.cloudflare.cooldown, logger: logger)
        // Connections open in the background: the daemon serves at once, the first cloud words pay no handshake.
        Task { await chain.warmUp() }
        return SpeechSetup(
            engine: chain, sink: sink, lexicon: lexicon, detectScript: configuration.detectScript, release: built.release)
    }

    /// Silences and releases everything: queued messages are canceled, the
    /// engines shut down, the sound card closed.
    public func shutDown() async {
        await scheduler.shutDown()
        await setups.retireAll()
        (setups.current.sink as? AlsaSink)?.shutdown()
    }
}

/// Why a reload changed nothing: the file and what to fix in it.
public struct ReloadError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(file: String, problems: [String]) {
        description = "\(file): " + problems.joined(separator: "; ")
    }

    init(_ error: ConfigurationError) {
        description = error.description
    }
}
