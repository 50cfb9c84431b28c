internal import HeraldAudioDecoding
public import HeraldCore
internal import FoundationEssentials
public import Logging

/// MeloTTS through Workers AI's POST endpoint: `{"prompt","lang"}` in, MP3
/// back (base64 inside the JSON envelope, or a binary `audio/mpeg` body).
public struct MeloTTSEngine: SpeechEngine {
    public let model = WorkersAIModel.meloTTS
    /// `lang` unless the chunk's settings name another (voice id or language).
    public let language: String
    public let connection: WorkersAIConnection
    private let logger: Logger

    public var name: String { model.name }
    /// The HTTP client's timeouts bound every wait.
    public var boundsItsOwnWaits: Bool { true }
    /// MP3 at the rate Workers AI chooses, converted by the player; 24 kHz is
    /// what the Spiel stream of its voices is advertised at.
    public var nativeFormat: AudioFormat { AudioFormat(sampleRate: 24_000) }

    /// - Throws: `.configuration` for a language MeloTTS does not speak.
    public init(language: String = "en", connection: WorkersAIConnection, logger: Logger) throws(EngineError) {
        guard model.speaker(named: language) != nil else {
            throw EngineError(
                .configuration, engine: WorkersAIModel.meloTTS.name,
                "MeloTTS does not speak \(language); choose one of: en es fr zh ja ko")
        }
        self.language = language
        self.connection = connection
        self.logger = logger
    }

    public func voices() async -> [Voice] { model.voices }

    func language(for settings: VoiceSettings) -> String {
        if let speaker = model.speaker(forVoiceID: settings.voice) { return speaker }
        if let tag = settings.language?.split(separator: "-").first.map({ String($0).lowercased() }),
            model.speaker(named: tag) != nil
        {
            return tag
        }
        return language
    }

    func requestBody(text: String, settings: VoiceSettings) -> [UInt8] {
        WorkersAIJSON.encode(["prompt": text, "lang": language(for: settings)])
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        connection.synthesize(
            chunk, json: requestBody(text: chunk.plainText, settings: settings), model: model, engine: name,
            logger: logger
        ) { [self] answer throws(EngineError) in try WorkersAIAudio.mp3(mp3Bytes(in: answer), engine: name) }
    }

    private struct Envelope: Decodable {
        struct Result: Decodable { let audio: String? }
        let result: Result?
        let success: Bool?
    }

    /// The MP3 in the answer: the body itself when binary, else the base64 `result.audio`.
    func mp3Bytes(in answer: WorkersAIConnection.Answer) throws(EngineError) -> [UInt8] {
        if MP3Decoder.looksLikeMP3(answer.body) || answer.contentType.hasPrefix("audio/") { return answer.body }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(answer.body)) else {
            throw EngineError(
                .failed, engine: name,
                "the answer is neither MP3 nor the documented JSON (content type \(answer.contentType.isEmpty ? "none" : answer.contentType), \(answer.body.count) bytes)"
            )
        }
        guard envelope.success != false, let base64 = envelope.result?.audio, let data = Data(base64Encoded: base64)
        else { throw EngineError(.failed, engine: name, "the JSON answer holds no base64 audio") }
        return Array(data)
    }
}
