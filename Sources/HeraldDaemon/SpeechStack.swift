public import HeraldAudio
public import HeraldCore
internal import HeraldEspeak
public import Logging

/// The speech path of the daemon, front ends excluded: engine → player →
/// ALSA sink, with the scheduler that owns the queue. Tests build the same
/// stack the daemon runs.
public struct SpeechStack: Sendable {
    public let scheduler: Scheduler
    public let sink: AlsaSink
    public let engineName: String
    /// Every voice the configured engines offer.
    public let voices: [Voice]
    /// What synthesises every voice, for front ends that take audio without
    /// the queue and player (the Spiel provider hands it to its clients).
    public let engine: any SpeechEngine
    /// The audio format each engine yields, by model name (`Voice.engine`):
    /// what the Spiel provider advertises for that engine's voices.
    public let engineFormats: [String: AudioFormat]

    /// The longest chunk sent to espeak-ng: about two long sentences, so the
    /// first audio comes quickly and a chunk never takes long to synthesise.
    static let espeakChunkCharacters = 500

    public init(configuration: Configuration, logger: Logger) async throws(EngineError) {
        let cloud = configuration.engines.filter { !$0.isOffline }
        if !cloud.isEmpty {
            logger.notice(
                "cloud voices are not available in this build; speaking with espeak-ng",
                metadata: ["herald.engines": "\(cloud.map(\.model).joined(separator: ","))"])
        }
        let engine = try EspeakEngine(logger: logger)
        sink = AlsaSink(device: configuration.audioDevice, logger: logger)
        let player = Player(
            engine: engine, sink: sink, preparer: TextPreparer(maxChunkCharacters: Self.espeakChunkCharacters),
            logger: logger)
        scheduler = Scheduler(player: player, logger: logger)
        engineName = engine.name
        voices = await engine.voices()
        self.engine = engine
        engineFormats = [engine.name: engine.format]
    }

    /// Silences and releases everything: queued messages are canceled, the
    /// sound card closed.
    public func shutDown() async {
        await scheduler.shutDown()
        sink.shutdown()
    }
}
