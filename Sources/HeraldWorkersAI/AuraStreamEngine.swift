public import HeraldCore
public import Logging
internal import HeraldSystem

/// A Deepgram Aura voice streamed over Workers AI's WebSocket: audio is played
/// as its frames arrive, on a connection opened ahead of need and kept open.
///
/// One connection per speaker (voice and format are fixed for a connection's
/// life). Aura reports no word timings, so index marks are placed when the
/// audio reaches the mark's estimated position: its share of the text, at an
/// assumed speaking pace; marks the audio never reaches come at its end.
public final class AuraStreamEngine: SpeechEngine {
    public let model: WorkersAIModel
    /// Sent as `speaker` unless the chunk's settings choose another of this model's speakers.
    public let speaker: String?
    public let sampleRate: Int
    public let connection: WorkersAIConnection
    /// No audio for this long (after a flush, or between frames) fails the chunk.
    public let stallTimeout: Duration
    private let logger: Logger
    private let streams = Locked<[String: AuraStream]>([:])

    /// Deepgram's streaming sample rates.
    public static let sampleRates: Set<Int> = [8_000, 16_000, 24_000, 44_100, 48_000]
    /// Speech pace assumed for placing marks: about 15 characters a second.
    static let secondsPerCharacter = 0.065

    public var name: String { model.name }
    /// The stream's stall bound (WebSocket) or the HTTP client's timeouts (POST).
    public var boundsItsOwnWaits: Bool { true }

    /// - Throws: `.configuration` when the model does not stream, does not know
    ///   `speaker`, or the rate is not one Deepgram streams.
    public init(
        model: WorkersAIModel, speaker: String? = nil, sampleRate: Int = 24_000, connection: WorkersAIConnection,
        stallTimeout: Duration = .milliseconds(2_500), logger: Logger
    ) throws(EngineError) {
        guard model.family == .aura, model.supportsWebSocket else {
            throw EngineError(.configuration, engine: model.name, "\(model.name) does not stream; use transport = \"post\"")
        }
        try model.check(speaker: speaker)
        guard Self.sampleRates.contains(sampleRate) else {
            throw EngineError(
                .configuration, engine: model.name,
                "sample rate \(sampleRate) is not streamed; use one of \(Self.sampleRates.sorted().map(String.init).joined(separator: ", "))")
        }
        self.model = model
        self.speaker = speaker ?? model.defaultSpeaker
        self.sampleRate = sampleRate
        self.connection = connection
        self.stallTimeout = stallTimeout
        self.logger = logger
    }

    /// The documented speakers; a model the reference does not document further
    /// offers its configured speaker (or the service's default) as one voice.
    public func voices() async -> [Voice] {
        guard model.speakers.isEmpty else { return model.voices }
        return [Voice(id: model.voiceID(for: speaker ?? "default"), name: speaker ?? "default", language: "en", engine: name)]
    }

    /// `wss://…/ai/run/{model}?speaker=…&encoding=linear16&sample_rate=…&container=none`.
    func url(speaker: String?) -> String {
        var base = connection.url(for: model)
        if base.hasPrefix("https://") {
            base = "wss://" + base.dropFirst("https://".count)
        } else if base.hasPrefix("http://") {
            base = "ws://" + base.dropFirst("http://".count)
        }
        var query: [String] = []
        if let speaker { query.append("speaker=" + Self.percentEncoded(speaker)) }
        query += ["encoding=linear16", "sample_rate=\(sampleRate)", "container=none"]
        return base + "?" + query.joined(separator: "&")
    }

    /// The stream of `speaker`, made on first use.
    private func stream(speaker: String?) -> AuraStream {
        let key = speaker ?? ""
        return streams.withLock { streams in
            if let stream = streams[key] { return stream }
            let stream = AuraStream(
                parameters: .init(
                    url: url(speaker: speaker), authorization: connection.credentials.authorization, sampleRate: sampleRate,
                    engine: name, stallTimeout: stallTimeout, secrets: [connection.credentials.token]),
                logger: logger)
            streams[key] = stream
            return stream
        }
    }

    /// Opens the configured speaker's connection now, so the first words pay no handshake.
    public func warmUp() async {
        await stream(speaker: speaker).warmUp()
    }

    /// Closes every connection.
    public func shutDown() async {
        for stream in streams.withLock({ Array($0.values) }) { await stream.shutDown() }
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let text = chunk.plainText
        let marks = chunk.markOffsets
        let stream = self.stream(speaker: model.speaker(forVoiceID: settings.voice) ?? speaker)
        let sampleRate = self.sampleRate
        return .synthesis { output throws(EngineError) in
            guard !text.isEmpty else {
                for mark in marks { output.yield(.mark(mark.name)) }
                return
            }
            let expectedFrames = Double(text.count) * Self.secondsPerCharacter * Double(sampleRate)
            var nextMark = 0
            var produced = 0
            do {
                for try await audio in stream.speak(text) {
                    while nextMark < marks.count,
                        Double(marks[nextMark].offset) / Double(text.count) * expectedFrames <= Double(produced)
                    {
                        output.yield(.mark(marks[nextMark].name))
                        nextMark += 1
                    }
                    output.yield(.audio(audio))
                    produced += audio.frameCount * sampleRate / audio.format.sampleRate
                }
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.failed, engine: self.name, "\(error)")
            }
            for mark in marks[nextMark...] { output.yield(.mark(mark.name)) }
        }
    }

    /// `value` as a URL query value: RFC 3986's unreserved ASCII characters
    /// as they are, every other UTF-8 byte as `%XX`.
    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
