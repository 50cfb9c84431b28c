public import HeraldCore
public import Logging
internal import HeraldSystem

/// A Deepgram Aura voice streamed over Workers AI's WebSocket: audio is played
/// as its frames arrive, on connections opened ahead of need and kept open.
///
/// Voice and format are fixed for a connection's life, and Deepgram allows
/// one connection 20 flushes a minute, which a screen reader spends in
/// seconds (one flush per message). So each speaker has a small pool of
/// connections, each keeping its own budget, and a request goes to one that
/// would speak it at once; when every connection's budget is spent, the same
/// model's POST endpoint (aura-1, aura-2-en, aura-2-es) speaks it with the same
/// speaker. Only when neither can does the request fail, so that the chain's
/// next engine speaks. Aura reports no word timings, so index marks are
/// placed when the audio reaches the mark's estimated position: its share of
/// the text, at an assumed speaking pace; marks the audio never reaches come
/// at its end.
public final class AuraStreamEngine: SpeechEngine {
    public let model: WorkersAIModel
    /// Sent as `speaker` unless the chunk's settings choose another of this model's speakers.
    public let speaker: String?
    public let sampleRate: Int
    public var nativeFormat: AudioFormat { AudioFormat(sampleRate: sampleRate) }
    public let connection: WorkersAIConnection
    /// No audio for this long (after a flush, or between frames) fails the chunk.
    public let stallTimeout: Duration
    /// Connections per speaker, at most: Deepgram's budgets are per
    /// connection, its concurrency limit per project (15 on pay-as-you-go).
    public let connections: Int
    /// The same model and speaker over POST, for when every connection's
    /// budget is spent; nil where the model has no POST endpoint.
    public let overflow: AuraPostEngine?
    let limits: DeepgramLimits
    private let logger: Logger
    private let streams = Locked<[String: [AuraStream]]>([:])

    /// The default pool: 60 flushes a minute over three connections, with
    /// POST for the rest.
    public static let defaultConnections = 3
    /// The most connections a speaker may have.
    public static let maxConnections = 15

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
        stallTimeout: Duration = .milliseconds(2_500), connections: Int = defaultConnections, overflowToPost: Bool = true,
        limits: DeepgramLimits = .service, logger: Logger
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
        self.connections = min(max(1, connections), Self.maxConnections)
        self.limits = limits
        // Raw PCM at the stream's rate, so the sound card is not reopened between the two.
        self.overflow =
            overflowToPost && model.supportsPost
            ? try AuraPostEngine(
                model: model, speaker: self.speaker, sampleRate: sampleRate, container: .none, connection: connection, logger: logger)
            : nil
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

    private func makeStream(speaker: String?) -> AuraStream {
        AuraStream(
            parameters: .init(
                url: url(speaker: speaker), authorization: connection.credentials.authorization, sampleRate: sampleRate,
                engine: name, stallTimeout: stallTimeout, limits: limits, secrets: [connection.credentials.token]),
            logger: logger)
    }

    /// The pool of `speaker`: one connection at first, another added when
    /// those there are run low on budget, up to `connections`.
    private func pool(speaker: String?) -> [AuraStream] {
        streams.withLock { streams in
            if let pool = streams[speaker ?? ""] { return pool }
            let pool = [makeStream(speaker: speaker)]
            streams[speaker ?? ""] = pool
            return pool
        }
    }

    /// A new connection for `speaker`, unless its pool is full.
    private func grow(speaker: String?) -> AuraStream? {
        streams.withLock { streams in
            var pool = streams[speaker ?? ""] ?? []
            guard pool.count < connections else { return nil }
            let stream = makeStream(speaker: speaker)
            pool.append(stream)
            streams[speaker ?? ""] = pool
            return stream
        }
    }

    /// Where a request goes.
    private enum Route {
        case stream(AuraStream)
        case post(AuraPostEngine)
    }

    /// When the connections left have this few flushes between them, the
    /// next is opened ahead of need, so no message pays its handshake.
    static let lowWater = 5

    /// A connection that speaks at once, preferring one with nothing in
    /// flight, then one already streaming (its request goes out behind the
    /// other's), then a new one while the pool has room; else POST; else the
    /// connection whose budget frees first, whose wait (or refusal, past the
    /// stall bound) says how long.
    private func route(speaker: String?, characters: Int) async -> Route {
        let pool = self.pool(speaker: speaker)
        var busy: AuraStream?
        var chosen: AuraStream?
        var flushesLeft = 0
        var soonest: (stream: AuraStream, at: ContinuousClock.Instant)?
        for stream in pool {
            switch await stream.availability(characters: characters) {
            case .idle(let left):
                flushesLeft += left
                if chosen == nil { chosen = stream }
            case .busy(let left):
                flushesLeft += left
                if busy == nil { busy = stream }
            case .spent(let until):
                if soonest.map({ until < $0.at }) ?? true { soonest = (stream, until) }
            }
        }
        if let stream = chosen ?? busy {
            if flushesLeft <= Self.lowWater + 1, let next = grow(speaker: speaker) {
                Task { await next.warmUp() }
            }
            return .stream(stream)
        }
        if let next = grow(speaker: speaker) { return .stream(next) }
        if let overflow { return .post(overflow) }
        return .stream(soonest?.stream ?? pool[0])
    }

    /// Opens the configured speaker's first connection now, so the first words pay no handshake.
    public func warmUp() async {
        for stream in pool(speaker: speaker) { await stream.warmUp() }
    }

    /// Closes every connection.
    public func shutDown() async {
        for stream in streams.withLock({ $0.values.flatMap { $0 } }) { await stream.shutDown() }
    }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let speaker = model.speaker(forVoiceID: settings.voice) ?? self.speaker
        return .synthesis { output throws(EngineError) in
            var remaining = chunk
            // One connection of the pool may drop (a restart of the service, a network change): the
            // rest goes out again in the same voice, from the word reached, on another connection or
            // POST. Only a second loss moves it to the next engine.
            for attempt in 1...2 {
                var progress = Progress()
                do {
                    try await self.speak(remaining, settings: settings, speaker: speaker, into: output, progress: &progress)
                    return
                } catch let lost as AuraStream.ConnectionLost {
                    guard attempt == 1 else { throw lost.error }
                    self.logger.debug("WebSocket lost mid-request; speaking the rest again", metadata: ["herald.engine": "\(self.name)"])
                    remaining = remaining.remainder(
                        afterSeconds: progress.seconds, marksReported: progress.marks, charactersPerSecond: 1 / Self.secondsPerCharacter)
                    if remaining.isEmpty { return }
                } catch {
                    throw error as? EngineError ?? EngineError(.failed, engine: self.name, "\(error)")
                }
            }
        }
    }

    /// How far a request got: what a retry must not say again.
    private struct Progress {
        var seconds = 0.0
        var marks = 0
    }

    /// Speaks `chunk` once, on the route chosen now; throws `ConnectionLost` when the connection drops.
    private func speak(
        _ chunk: SpeechChunk, settings: VoiceSettings, speaker: String?,
        into output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation, progress: inout Progress
    ) async throws {
        let text = chunk.plainText
        let marks = chunk.markOffsets
        guard !text.isEmpty else {
            for mark in marks { output.yield(.mark(mark.name)) }
            return
        }
        let stream: AuraStream
        switch await route(speaker: speaker, characters: text.count + 1) {
        case .stream(let chosen):
            stream = chosen
        case .post(let post):
            for try await item in post.synthesize(chunk, settings: settings) { output.yield(item) }
            return
        }
        let expectedFrames = Double(text.count) * Self.secondsPerCharacter * Double(sampleRate)
        var nextMark = 0
        var produced = 0
        for try await audio in stream.speak(text) {
            while nextMark < marks.count, Double(marks[nextMark].offset) / Double(text.count) * expectedFrames <= Double(produced) {
                output.yield(.mark(marks[nextMark].name))
                nextMark += 1
                progress.marks += 1
            }
            output.yield(.audio(audio))
            produced += audio.frameCount * sampleRate / audio.format.sampleRate
            progress.seconds += audio.format.seconds(frames: audio.frameCount)
        }
        for mark in marks[nextMark...] { output.yield(.mark(mark.name)) }
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
