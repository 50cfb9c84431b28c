internal import HeraldAudioDecoding
public import HeraldCore
public import Logging

/// A Deepgram Aura voice through Workers AI's POST endpoint: one request per
/// chunk, the whole answer decoded, then played.
///
/// Asks for 16-bit PCM in a WAV container, but trusts the bytes over the
/// request: the service reportedly answers MP3 whatever was asked, so the
/// answer is sniffed (RIFF/WAVE, ID3 or MPEG sync) before the content type.
public struct AuraPostEngine: SpeechEngine {
    /// The `container` asked for; `.none` means raw little-endian PCM back.
    public enum Container: String, Sendable {
        case wav
        case none
    }

    public let model: WorkersAIModel
    /// Sent as `speaker` unless the chunk's settings name another of this model's speakers.
    public let speaker: String?
    public let sampleRate: Int
    public var nativeFormat: AudioFormat { AudioFormat(sampleRate: sampleRate) }
    public let container: Container
    public let connection: WorkersAIConnection
    private let logger: Logger

    public var name: String { model.name }
    /// The stream's stall bound (WebSocket) or the HTTP client's timeouts (POST).
    public var boundsItsOwnWaits: Bool { true }

    /// - Throws: `.configuration` when the model has no POST endpoint or does not know `speaker`.
    public init(
        model: WorkersAIModel, speaker: String? = nil, sampleRate: Int = 24_000, container: Container = .wav,
        connection: WorkersAIConnection, logger: Logger
    ) throws(EngineError) {
        guard model.family == .aura, model.supportsPost else {
            throw EngineError(.configuration, engine: model.name, "\(model.name) has no aura POST endpoint; use transport = \"websocket\"")
        }
        try model.check(speaker: speaker)
        self.model = model
        self.speaker = speaker ?? model.defaultSpeaker
        self.sampleRate = sampleRate
        self.container = container
        self.connection = connection
        self.logger = logger
    }

    public func voices() async -> [Voice] { model.voices }

    /// The JSON body for `text`, exactly the documented fields.
    func requestBody(text: String, settings: VoiceSettings) -> [UInt8] {
        WorkersAIJSON.encode(
            Body(
                text: text, encoding: "linear16", container: container.rawValue, sample_rate: sampleRate,
                speaker: model.speaker(forVoiceID: settings.voice) ?? speaker))
    }

    private struct Body: Encodable {
        let text: String
        let encoding: String
        let container: String
        let sample_rate: Int
        let speaker: String?
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        connection.synthesize(
            chunk, json: requestBody(text: chunk.plainText, settings: settings), model: model, engine: name,
            logger: logger
        ) { [self] answer throws(EngineError) in try decode(answer) }
    }

    /// The answer's audio, by sniffing first and content type second.
    func decode(_ answer: WorkersAIConnection.Answer) throws(EngineError) -> [AudioChunk] {
        let bytes = answer.body
        if WAVDecoder.looksLikeWAV(bytes) {
            do throws(WAVDecoder.FormatError) {
                return [try WAVDecoder.decode(bytes)]
            } catch {
                throw EngineError(.failed, engine: name, "unreadable WAV answer: \(error)")
            }
        }
        if MP3Decoder.looksLikeMP3(bytes) {
            return try WorkersAIAudio.mp3(bytes, engine: name)
        }
        // Raw PCM has no signature: trust it only when raw PCM was asked and the answer claims to be audio.
        let claimsAudio = answer.contentType.hasPrefix("audio/") || answer.contentType.hasPrefix("application/octet-stream")
        if container == .none, claimsAudio {
            return [AudioChunk(format: AudioFormat(sampleRate: sampleRate), samples: WAVDecoder.samples(fromLittleEndian: bytes))]
        }
        if answer.contentType.hasPrefix("audio/mpeg") {
            return try WorkersAIAudio.mp3(bytes, engine: name)
        }
        throw EngineError(
            .failed, engine: name,
            "the answer is not audio (content type \(answer.contentType.isEmpty ? "none" : answer.contentType), \(bytes.count) bytes)")
    }
}

/// Decoding helpers the engines share.
enum WorkersAIAudio {
    /// The MP3 answer whole; a truncated one is reported, since speaking half
    /// a sentence and then the whole again from another engine would repeat it.
    static func mp3(_ bytes: [UInt8], engine: String) throws(EngineError) -> [AudioChunk] {
        do throws(MP3DecodeError) {
            return try MP3Decoder.decode(bytes)
        } catch {
            switch error.kind {
            case .truncated: throw EngineError(.failed, engine: engine, "the MP3 answer was cut short: \(error.message)")
            case .notMP3: throw EngineError(.failed, engine: engine, "the answer is not MP3 audio (\(bytes.count) bytes)")
            case .library: throw EngineError(.failed, engine: engine, "cannot decode the MP3 answer: \(error.message)")
            }
        }
    }
}
