/// A voice Herald can speak with, as `ListVoices` and SSIP `LIST SYNTHESIS_VOICES` show it.
public struct Voice: Sendable, Hashable {
    /// Unique across engines; what clients pass back to choose it.
    public let id: String
    public let name: String
    /// BCP 47 language tag.
    public let language: String
    /// The engine's model name (`espeak-ng`, `@cf/deepgram/aura-2-en`).
    public let engine: String
    /// How the voice sounds, when known: SSIP's symbolic voices (`MALE1`,
    /// `FEMALE2`…) pick speakers by it.
    public let gender: Gender?

    public enum Gender: String, Sendable, Hashable {
        case male
        case female
    }

    public init(id: String, name: String, language: String, engine: String, gender: Gender? = nil) {
        self.id = id
        self.name = name
        self.language = language
        self.engine = engine
        self.gender = gender
    }

    /// True when `tag` is `range` or a region of it (`en-us` within `en`), ignoring case and `_`.
    public static func language(_ tag: String, isWithin range: String) -> Bool {
        let tag = tag.lowercased().replacing("_", with: "-")
        let range = range.lowercased().replacing("_", with: "-")
        return tag == range || tag.hasPrefix(range + "-")
    }

    /// The primary language subtag (`en` of `en-US`, `pt` of `pt_BR`), lowercased;
    /// empty for the C locale's "C" and "POSIX", which name no language.
    public static func primaryLanguage(_ tag: String) -> String {
        let primary = String(tag.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." }).first ?? "")
        return primary == "c" || primary == "posix" ? "" : primary
    }
}

/// What an engine produces for a chunk, in playback order.
public enum SynthesisOutput: Sendable, Equatable {
    case audio(AudioChunk)
    /// An index mark, placed between the audio before and after it.
    case mark(String)
}

/// Where an engine's index marks land in its audio.
public enum MarkTiming: Sendable, Hashable {
    /// The engine receives the chunk's markup (marks, breaks) and reports
    /// each mark at its place in the audio (espeak-ng).
    case exact
    /// The engine receives words only; Herald places each mark by the share
    /// of the text before it (the cloud voices).
    case estimated
}

/// A speech synthesiser.
///
/// Engines stream: the first audio of a chunk is yielded as soon as it exists,
/// so playback starts before synthesis ends. Ending the iteration (or cancelling
/// the consuming task) must stop the engine's work promptly.
public protocol SpeechEngine: Sendable {
    /// The model name used in the config and in logs.
    var name: String { get }

    func voices() async -> [Voice]

    /// Synthesises `chunk`; the stream finishes after its last output or throws an `EngineError`.
    func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error>

    /// True when the engine bounds its own waits (network engines time out
    /// when the service stalls); otherwise the engine chain's watchdog does.
    var boundsItsOwnWaits: Bool { get }

    /// False for an engine that makes a short chunk's first audio here in
    /// well under a millisecond (espeak-ng): keeping its audio in memory, as
    /// `CachingEngine` does for a voice 100 ms away, would gain nothing and
    /// hold up to the cache's bound for good.
    var isWorthCaching: Bool { get }

    /// True for an engine that honours `VoiceSettings.rate`, `pitch` and
    /// `volume` itself (espeak-ng): the prosody stage then leaves its audio
    /// alone, and its cached audio is kept per rate, pitch and volume. False
    /// (the default): the engine is asked at normal prosody and the stage
    /// stretches, shifts and scales what it says, so its cached audio serves
    /// every rate.
    var hasNativeProsody: Bool { get }

    /// True for an engine that runs on this machine and needs no account or
    /// network (espeak-ng): what `herald voices` and the docs call local.
    var isLocal: Bool { get }

    /// How exactly the engine places marks; `.exact` voices advertise mark
    /// events and SSML breaks to Spiel clients, `.estimated` ones do not.
    var markTiming: MarkTiming { get }

    /// The format the engine's audio usually comes in (an MP3 answer may
    /// differ, and whoever advertises the format converts what does not
    /// match): the stream format of its voices for Spiel clients.
    var nativeFormat: AudioFormat { get }

    /// Prepares for the first request (opens connections), so it pays no set-up.
    func warmUp() async

    /// Releases connections and threads; later requests may fail.
    func shutDown() async
}

extension SpeechEngine {
    public var boundsItsOwnWaits: Bool { false }
    public var isWorthCaching: Bool { true }
    public var hasNativeProsody: Bool { false }
    public var isLocal: Bool { false }
    public var markTiming: MarkTiming { .estimated }
    public func warmUp() async {}
    public func shutDown() async {}
}

/// Why an engine could not speak a chunk; the message says what to do and never
/// quotes the text.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The engine library or service could not be reached or started.
        case unavailable
        /// The engine refused this request (bad voice, bad input).
        case rejected
        /// The engine failed while synthesising.
        case failed
        /// The service is busy, slow or failing for now (HTTP 429, 408, 5xx):
        /// another engine should take the chunk, and this one may be tried again later.
        case retryable
        /// The engine is set up wrongly (credentials, permissions): report it
        /// once and skip the engine until the configuration changes.
        case configuration
    }

    public let code: Code
    public let engine: String
    public let message: String
    /// How long the service asked us to wait before trying again (HTTP `retry-after`), when it said.
    public let retryAfter: Duration?

    public init(_ code: Code, engine: String, _ message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.engine = engine
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(engine): \(message)" }
}
