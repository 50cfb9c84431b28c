internal import FoundationEssentials
internal import HeraldAudioDecoding
internal import HeraldCore
internal import HeraldSystem
internal import Logging
internal import NIOCore

/// The long-lived WebSocket of one aura voice and format, and the requests
/// flowing through it.
///
/// Each request is a `Speak` (or several, for text over Deepgram's 2000
/// characters) and a `Flush`; its audio is the binary frames that arrive
/// before the matching `Flushed`. Requests are pipelined: the next sentence is
/// sent while the current one still streams, so synthesis runs ahead of
/// playback. A request abandoned while its audio streams sends `Clear` and
/// everything until `Cleared` is dropped; requests queued behind it are sent
/// again. One actor owns all of it, so frames, flushes and clears are handled
/// in the order they happened.
///
/// Bounded everywhere: connect and upgrade within `stallTimeout`, the first
/// and every next audio frame within `stallTimeout`, `Cleared` within it too.
/// A connection is replaced before Deepgram's 60-minute limit, reconnects
/// back off, and the flush and character budgets are kept here, so that a
/// request that would wait for budget longer than the stall bound fails at
/// once and the engine chain gives it to the next engine.
actor AuraStream {
    struct Parameters: Sendable {
        var url: String
        var authorization: String
        var sampleRate: Int
        var engine: String
        var stallTimeout: Duration
        /// Replace connections older than this (Deepgram closes them at 60 minutes).
        var maxAge: Duration = .seconds(55 * 60)
        var limits = DeepgramLimits.service
        var secrets: [String]
    }

    /// The connection closed while the request was in flight; the engine may
    /// speak the rest on another connection before giving up.
    struct ConnectionLost: Error {
        let error: EngineError
    }

    /// How much longer than Deepgram's window a flush is counted here: the
    /// time it may take to reach the service, and its clock's drift.
    static let windowMargin: Duration = .milliseconds(500)

    /// Whether a request sent now would be spoken at once, for the engine
    /// choosing among its connections.
    enum Availability: Sendable, Equatable {
        /// Budget left (this many flushes) and nothing in flight: the request's audio starts first.
        case idle(flushesLeft: Int)
        /// Budget left, but the request waits behind others (or a `Clear`).
        case busy(flushesLeft: Int)
        /// No budget (or no connection) before this instant.
        case spent(until: ContinuousClock.Instant)
    }

    private final class Request {
        let id: Int
        let texts: [String]
        let continuation: AsyncThrowingStream<AudioChunk, any Error>.Continuation
        var abandoned = false
        var receivedAudio = false
        var lastActivity = ContinuousClock.now
        var leftover: UInt8?
        var format: AudioFormat
        /// Sent at least once: a resend after `Clear` costs another flush.
        var sent = false
        /// When its flush was taken from the budget; moved to the moment it is sent.
        var reservedAt: ContinuousClock.Instant?

        init(id: Int, texts: [String], format: AudioFormat, continuation: AsyncThrowingStream<AudioChunk, any Error>.Continuation) {
            self.id = id
            self.texts = texts
            self.format = format
            self.continuation = continuation
        }
    }

    private final class Connection {
        let socket: WorkersAISocket
        let opened = ContinuousClock.now
        var pending: [Request] = []
        var clearingSince: ContinuousClock.Instant?
        var retiring = false

        init(socket: WorkersAISocket) { self.socket = socket }
    }

    let parameters: Parameters
    private let logger: Logger
    private var current: Connection?
    private var opening: Task<WorkersAISocket, any Error>?
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var nextID = 0
    private var flushes: [ContinuousClock.Instant] = []
    private var characters: [(at: ContinuousClock.Instant, count: Int)] = []
    private var throttledUntil: ContinuousClock.Instant?
    private var failures = 0
    private var retryAt: ContinuousClock.Instant?
    private var lastConnectError: EngineError?
    private var watchdog: Task<Void, Never>?
    private var warnedCodes: Set<String> = []
    private var closed = false

    init(parameters: Parameters, logger: Logger) {
        self.parameters = parameters
        self.logger = logger
    }

    // MARK: Requests

    /// The audio of `text`; the stream finishes after the last frame before
    /// `Flushed`, or throws an `EngineError`. Ending the iteration early
    /// abandons the request (and clears it server-side if it is streaming).
    nonisolated func speak(_ text: String) -> AsyncThrowingStream<AudioChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: AudioChunk.self)
        let id = Task { await self.enqueue(text, continuation: continuation) }
        continuation.onTermination = { reason in
            guard case .cancelled = reason else { return }
            Task {
                let request = await id.value
                await self.abandon(request)
            }
        }
        return stream
    }

    /// Opens the connection ahead of need, so the first request pays no handshake.
    func warmUp() async {
        _ = try? await connection()
    }

    /// Closes every connection and fails what is pending; later requests fail.
    func shutDown() {
        closed = true
        opening?.cancel()
        for connection in connections.values {
            fail(connection.pending, EngineError(.unavailable, engine: parameters.engine, "Herald is shutting down"))
            connection.pending = []
            connection.socket.close()
        }
        connections = [:]
        current = nil
        watchdog?.cancel()
    }

    private func enqueue(_ text: String, continuation: AsyncThrowingStream<AudioChunk, any Error>.Continuation) async -> Int {
        nextID += 1
        let id = nextID
        do throws(EngineError) {
            let texts = Self.pieces(of: text)
            let reservedAt = try await reserveBudget(characters: texts.reduce(0) { $0 + $1.count })
            let connection = try await self.connection()
            let request = Request(
                id: id, texts: texts, format: AudioFormat(sampleRate: parameters.sampleRate),
                continuation: continuation)
            request.reservedAt = reservedAt
            connection.pending.append(request)
            if connection.clearingSince == nil { send(request, on: connection) }
            startWatchdog()
        } catch {
            continuation.finish(throwing: error)
        }
        return id
    }

    private func send(_ request: Request, on connection: Connection) {
        for text in request.texts { connection.socket.send(Self.message(["type": "Speak", "text": text])) }
        connection.socket.send(#"{"type":"Flush"}"#)
        request.lastActivity = .now
        if request.sent {
            flushes.append(.now)
            characters.append((.now, request.texts.reduce(0) { $0 + $1.count }))
        } else if let reservedAt = request.reservedAt {
            // The first send was counted when its budget was reserved.
            restamp(reservedAt, to: .now)
        }
        request.sent = true
    }

    /// A request whose consumer went away.
    private func abandon(_ id: Int) {
        // Runs after `enqueue` returned: the request is pending, or already finished or failed.
        guard let connection = connections.values.first(where: { $0.pending.contains { $0.id == id } }) else { return }
        guard let index = connection.pending.firstIndex(where: { $0.id == id }) else { return }
        if connection.clearingSince != nil {
            connection.pending.remove(at: index)
        } else if index == 0 {
            // Streaming now: drop what the server still holds; those behind it are sent again after Cleared.
            connection.pending.remove(at: 0)
            connection.socket.send(#"{"type":"Clear"}"#)
            connection.clearingSince = .now
            startWatchdog()
        } else {
            // Queued behind another: its audio comes in order, to be dropped.
            connection.pending[index].abandoned = true
        }
    }

    // MARK: Budgets

    /// When this connection's budget has room for `count` more characters and
    /// a flush, as of `now` (`now` itself when it has room already).
    private func budgetFree(characters count: Int, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let limits = parameters.limits
        // A flush leaves the service's window a little after it leaves ours: it arrived later than it was sent.
        let window = limits.window + Self.windowMargin
        flushes.removeAll { $0 + window <= now }
        characters.removeAll { $0.at + window <= now }
        var freeAt = now
        if let throttledUntil, throttledUntil > now { freeAt = throttledUntil }
        if flushes.count >= limits.flushes {
            freeAt = max(freeAt, flushes[flushes.count - limits.flushes] + window)
        }
        var used = characters.reduce(0) { $0 + $1.count }
        for entry in characters where used + count > limits.characters {
            used -= entry.count
            freeAt = max(freeAt, entry.at + window)
        }
        return freeAt
    }

    /// Takes a flush and `count` characters of Deepgram's per-minute budgets,
    /// waiting for them when they free within the stall bound; otherwise fails
    /// at once so that another connection, the POST endpoint or the chain's
    /// next engine speaks now. Taken before any wait for the connection, so
    /// requests racing for the last flush cannot both have it.
    private func reserveBudget(characters count: Int) async throws(EngineError) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let freeAt = budgetFree(characters: count, at: now)
        if freeAt > now {
            let limits = parameters.limits
            guard freeAt - now <= parameters.stallTimeout else {
                throw EngineError(
                    .retryable, engine: parameters.engine,
                    "Deepgram's per-minute limits of one connection (\(limits.flushes) flushes, \(limits.characters) characters) are used up for \(Self.seconds(freeAt - now))",
                    retryAfter: freeAt - now)
            }
            try? await Sleep.until(freeAt)
        }
        let at = ContinuousClock.now
        flushes.append(at)
        characters.append((at, count))
        return at
    }

    /// Moves a reservation to the moment its request went out: the service
    /// counts a flush from when it arrives, which may be a connection or a
    /// `Cleared` later than the reservation.
    private func restamp(_ reserved: ContinuousClock.Instant, to now: ContinuousClock.Instant) {
        if let index = flushes.lastIndex(of: reserved) { flushes[index] = now }
        if let index = characters.lastIndex(where: { $0.at == reserved }) { characters[index].at = now }
    }

    /// Whether a request of `count` characters would be spoken at once here.
    func availability(characters count: Int) -> Availability {
        let now = ContinuousClock.now
        if closed { return .spent(until: now + .seconds(3600)) }
        if let retryAt, retryAt > now, lastConnectError != nil { return .spent(until: retryAt) }
        let freeAt = budgetFree(characters: count, at: now)
        if freeAt > now { return .spent(until: freeAt) }
        let left = parameters.limits.flushes - flushes.count
        guard let current, current.socket.isOpen else { return opening == nil ? .idle(flushesLeft: left) : .busy(flushesLeft: left) }
        return current.pending.isEmpty && current.clearingSince == nil ? .idle(flushesLeft: left) : .busy(flushesLeft: left)
    }

    // MARK: Connections

    /// The open connection, opening (or replacing) it if needed; one open at a time.
    private func connection() async throws(EngineError) -> Connection {
        if closed { throw EngineError(.unavailable, engine: parameters.engine, "Herald is shutting down") }
        if let current, current.socket.isOpen, current.opened + parameters.maxAge > .now { return current }
        if let current { retire(current) }
        if let retryAt, retryAt > .now, let lastConnectError {
            // Refused credentials are not retried by the chain; only other failures promise a next attempt.
            guard lastConnectError.code != .configuration else { throw lastConnectError }
            throw EngineError(
                .unavailable, engine: parameters.engine,
                "\(lastConnectError.message) (next attempt in \(Self.seconds(retryAt - .now)))", retryAfter: retryAt - .now)
        }
        let task: Task<WorkersAISocket, any Error>
        if let opening {
            task = opening
        } else {
            let parameters = self.parameters
            let logger = self.logger
            task = Task {
                try await WorkersAISocket.connect(
                    url: parameters.url, authorization: parameters.authorization, timeout: parameters.stallTimeout,
                    engine: parameters.engine, secrets: parameters.secrets, logger: logger)
            }
            opening = task
        }
        do {
            let socket = try await task.value
            if opening == task {
                opening = nil
                opened(Connection(socket: socket))
            }
            if let current, current.socket === socket { return current }
            return try await connection()
        } catch {
            if opening == task {
                opening = nil
                connectFailed(error as? EngineError ?? EngineError(.unavailable, engine: parameters.engine, "\(error)"))
            }
            throw error as? EngineError ?? EngineError(.unavailable, engine: parameters.engine, "\(error)")
        }
    }

    private func opened(_ connection: Connection) {
        failures = 0
        retryAt = nil
        lastConnectError = nil
        current = connection
        connections[ObjectIdentifier(connection)] = connection
        if closed {
            connection.socket.close()
            return
        }
        let socket = connection.socket
        let key = ObjectIdentifier(connection)
        Task { [weak self] in
            for await message in socket.messages {
                await self?.received(message, on: key)
            }
            await self?.closed(key)
        }
    }

    private func connectFailed(_ error: EngineError) {
        failures += 1
        lastConnectError = error
        // 0.5 s, 1 s, 2 s … 30 s; a 429's retry-after when longer.
        let backoff = min(Duration.milliseconds(500) * (1 << min(failures - 1, 6)), .seconds(30))
        retryAt = .now + max(backoff, error.retryAfter ?? .zero)
    }

    /// Takes a connection out of use; it closes once its requests are done.
    private func retire(_ connection: Connection) {
        if current === connection { current = nil }
        connection.retiring = true
        if connection.pending.isEmpty { connection.socket.close() }
    }

    private func closed(_ key: ObjectIdentifier) {
        guard let connection = connections.removeValue(forKey: key) else { return }
        if current === connection { current = nil }
        let live = connection.pending.filter { !$0.abandoned }
        connection.pending = []
        guard !live.isEmpty else { return }
        logger.debug("WebSocket closed with requests pending", metadata: ["herald.engine": "\(parameters.engine)"])
        let error = EngineError(.unavailable, engine: parameters.engine, "Workers AI closed the WebSocket mid-stream")
        for request in live { request.continuation.finish(throwing: ConnectionLost(error: error)) }
    }

    // MARK: Inbound

    private func received(_ message: WorkersAISocket.Message, on key: ObjectIdentifier) {
        guard let connection = connections[key] else { return }
        switch message {
        case .binary(let buffer): audio(buffer, on: connection)
        case .text(let text): control(text, on: connection)
        }
    }

    private func audio(_ buffer: ByteBuffer, on connection: Connection) {
        guard connection.clearingSince == nil, let request = connection.pending.first else { return }
        request.lastActivity = .now
        guard !request.abandoned else { return }
        var bytes = Array(buffer.readableBytesView)
        if !request.receivedAudio {
            request.receivedAudio = true
            if WAVDecoder.looksLikeWAV(bytes), let header = try? WAVDecoder.decode(bytes) {
                // A container where none was asked: play what it holds, at its rate.
                request.format = header.format
                request.continuation.yield(header)
                return
            }
            if MP3Decoder.looksLikeMP3(bytes) {
                return failStreaming(
                    connection, EngineError(.failed, engine: parameters.engine, "Workers AI streamed MP3 where linear16 PCM was asked"))
            }
        }
        if let leftover = request.leftover {
            bytes.insert(leftover, at: 0)
            request.leftover = nil
        }
        if bytes.count % 2 == 1 { request.leftover = bytes.removeLast() }
        guard !bytes.isEmpty else { return }
        request.continuation.yield(AudioChunk(format: request.format, samples: WAVDecoder.samples(fromLittleEndian: bytes)))
    }

    private struct Control: Decodable {
        let type: String
        let description: String?
        let code: String?
        let model_name: String?
        let request_id: String?
    }

    private func control(_ text: String, on connection: Connection) {
        guard let message = try? JSONDecoder().decode(Control.self, from: Data(text.utf8)) else {
            // The stream's framing can no longer be trusted: end this connection.
            fail(connection.pending.filter { !$0.abandoned }, EngineError(.failed, engine: parameters.engine, "Workers AI sent a malformed message"))
            connection.pending = []
            retire(connection)
            connection.socket.close()
            return
        }
        switch message.type {
        case "Flushed":
            guard connection.clearingSince == nil, !connection.pending.isEmpty else { return }
            let request = connection.pending.removeFirst()
            if !request.abandoned { request.continuation.finish() }
            if connection.retiring, connection.pending.isEmpty { connection.socket.close() }
        case "Cleared":
            guard connection.clearingSince != nil else { return }
            connection.clearingSince = nil
            connection.pending.removeAll { $0.abandoned }
            for request in connection.pending { send(request, on: connection) }
            if connection.retiring, connection.pending.isEmpty { connection.socket.close() }
        case "Warning":
            warned(code: message.code ?? "", description: message.description ?? "", on: connection)
        case "Metadata":
            logger.debug(
                "Workers AI stream metadata",
                metadata: ["herald.engine": "\(parameters.engine)", "herald.request": "\(message.request_id ?? "?")"])
        default:
            logger.debug("Workers AI sent an unknown message type", metadata: ["herald.type": "\(message.type)"])
        }
    }

    /// Deepgram warns instead of failing; a flush-rate warning means the flush
    /// was ignored, so what is pending goes to the next engine instead of waiting.
    private func warned(code: String, description: String, on connection: Connection) {
        let detail = WorkersAIErrorEnvelope.redact(String("\(code) \(description)".prefix(200)), parameters.secrets)
        if warnedCodes.insert(code).inserted {
            logger.notice("Workers AI warned", metadata: ["herald.engine": "\(parameters.engine)", "herald.warning": "\(detail)"])
        }
        guard "\(code) \(description)".lowercased().contains("flush") else { return }
        throttledUntil = .now + .seconds(60)
        failStreaming(connection, EngineError(.retryable, engine: parameters.engine, "Workers AI ignored a flush: \(detail)", retryAfter: .seconds(60)))
    }

    /// Fails every live request of `connection` and clears what the server still holds.
    private func failStreaming(_ connection: Connection, _ error: EngineError) {
        fail(connection.pending.filter { !$0.abandoned }, error)
        connection.pending = []
        guard connection.clearingSince == nil else { return }
        connection.socket.send(#"{"type":"Clear"}"#)
        connection.clearingSince = .now
        startWatchdog()
    }

    private func fail(_ requests: [Request], _ error: EngineError) {
        for request in requests { request.continuation.finish(throwing: error) }
    }

    // MARK: Watchdog

    /// Runs only while something waits on the network, so an idle stream never wakes.
    private func startWatchdog() {
        guard watchdog == nil else { return }
        watchdog = Task { [weak self] in
            while let self, let deadline = await self.nextDeadline() {
                try? await Sleep.until(deadline)
                if Task.isCancelled { return }
                await self.expire()
            }
        }
    }

    private func nextDeadline() -> ContinuousClock.Instant? {
        let deadlines = connections.values.compactMap { connection -> ContinuousClock.Instant? in
            if let since = connection.clearingSince { return since + parameters.stallTimeout }
            return connection.pending.first.map { $0.lastActivity + parameters.stallTimeout }
        }
        guard let earliest = deadlines.min() else {
            watchdog = nil
            return nil
        }
        return earliest
    }

    private func expire() {
        let now = ContinuousClock.now
        for connection in connections.values {
            let stalled: Bool
            if let since = connection.clearingSince {
                stalled = since + parameters.stallTimeout <= now
            } else if let head = connection.pending.first {
                stalled = head.lastActivity + parameters.stallTimeout <= now
            } else {
                stalled = false
            }
            guard stalled else { continue }
            logger.debug("WebSocket stalled", metadata: ["herald.engine": "\(parameters.engine)"])
            fail(
                connection.pending.filter { !$0.abandoned },
                EngineError(.retryable, engine: parameters.engine, "Workers AI sent no audio for \(Self.seconds(parameters.stallTimeout))"))
            connection.pending = []
            retire(connection)
            connection.socket.close()
        }
    }

    // MARK: Helpers

    /// Text cut into Deepgram's 2000-character `Speak`s, at spaces where
    /// possible, each ending at a word boundary: Deepgram joins consecutive
    /// `Speak` texts as they are, so a request ending "12345." and the next
    /// starting "Let" would be read as one word "12345.Let".
    static func pieces(of text: String, limit: Int = 2_000) -> [String] {
        var pieces: [String] = []
        var text = text
        if let last = text.last, !last.isWhitespace { text.append(" ") }
        var rest = Substring(text)
        while rest.count > limit {
            let end = rest.index(rest.startIndex, offsetBy: limit)
            let cut = rest[..<end].lastIndex(of: " ").map { rest.index(after: $0) } ?? end
            pieces.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        if !rest.isEmpty || pieces.isEmpty { pieces.append(String(rest)) }
        return pieces
    }

    static func message(_ object: [String: String]) -> String {
        String(decoding: WorkersAIJSON.encode(object), as: UTF8.self)
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = max(0, Int(((Double(seconds) + Double(attoseconds) / 1e18) * 10).rounded()))
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
