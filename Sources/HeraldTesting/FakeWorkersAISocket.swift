internal import Foundation
internal import NIOCore
internal import NIOHTTP1
internal import NIOWebSocket

/// The WebSocket half of the fake: Deepgram's streaming protocol as
/// `docs/workers-ai.md` describes it, passed through Workers AI.
extension FakeWorkersAI {
    /// The models that stream over a WebSocket.
    static let socketModels: Set<String> = [
        "@cf/deepgram/aura", "@cf/deepgram/aura-1", "@cf/deepgram/aura-1-internal", "@cf/deepgram/aura-2",
        "@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-es",
    ]
    static let socketSampleRates: Set<Int> = [8_000, 16_000, 24_000, 44_100, 48_000]
    /// Deepgram's limit on one `Speak`.
    public static let maxSpeakCharacters = 2_000

    /// Whether an upgrade request may become a WebSocket. Every upgrade request
    /// is recorded here; a refused one goes on as a plain request whose head
    /// NIO keeps, so its answer is stored for the channel until `serve` asks.
    func acceptsUpgrade(_ head: HTTPRequestHead, on channel: any Channel) -> Bool {
        let request = FakeWorkersAIRequest(
            method: "\(head.method.rawValue)", path: head.uri, headers: head.headers.map { (name: $0.name, value: $0.value) },
            body: [])
        return state.withLock { state in
            state.requests.append(request)
            if state.requests.count > Self.maxRecordedRequests { state.requests.removeFirst() }
            state.totalRequests += 1
            if state.stopped {
                state.refusals[ObjectIdentifier(channel)] = .envelope(503, code: nil, "Shutting down")
                return false
            }
            var refusal = socketRefusal(request, fault: state.socketFault)
            if refusal == nil, state.sockets.count >= state.limits.maxSockets {
                state.refusedForSockets += 1
                refusal = .envelope(429, code: nil, "Too many concurrent connections (\(state.limits.maxSockets))")
            }
            if refusal == nil { refusal = state.admitRequest() }
            guard let refusal else { return true }
            state.refusals[ObjectIdentifier(channel)] = refusal
            return false
        }
    }

    func takeRefusal(for channel: any Channel) -> Answer? {
        state.withLock { $0.refusals.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The HTTP answer to an upgrade that must not succeed, or nil when it may.
    func socketRefusal(_ request: FakeWorkersAIRequest, fault: Fault?) -> Answer? {
        guard request.header("Upgrade")?.lowercased() == "websocket" else { return nil }
        let prefix = "/client/v4/accounts/\(accountID)/ai/run/"
        let parts = request.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0].hasPrefix(prefix) else { return .envelope(404, code: 7003, "Could not route to \(parts[0])") }
        let model = String(parts[0].dropFirst(prefix.count))
        guard Self.socketModels.contains(model) else {
            return .envelope(400, code: nil, "Model \(model) does not support WebSocket connections")
        }
        if fault == .unauthorized || request.header("Authorization") != "Bearer \(token)" {
            return .envelope(401, code: 10000, "Authentication error")
        }
        switch fault {
        case .rateLimited(let wait):
            var answer = Answer.envelope(429, code: 3040, "Capacity temporarily exceeded, please try again later.")
            answer.extraHeaders = [("retry-after", "\(wait)")]
            return answer
        case .serverError: return .envelope(500, code: nil, "Internal server error")
        case .refuseUpgrade: return .envelope(400, code: nil, "WebSocket upgrade refused")
        default: break
        }
        let query = Self.query(parts.count > 1 ? String(parts[1]) : "")
        guard let query else { return .envelope(400, code: nil, "Invalid query string") }
        for (key, value) in query {
            switch key {
            case "speaker":
                if let known = Self.auraSpeakers[model], !known.contains(value) {
                    return .envelope(400, code: nil, "Invalid speaker \(value) for \(model)")
                }
            case "encoding":
                guard value == "linear16" else { return .envelope(400, code: nil, "Fake: only linear16 streams") }
            case "container":
                guard value == "none" else { return .envelope(400, code: nil, "Invalid container for streaming") }
            case "sample_rate":
                guard let rate = Int(value), Self.socketSampleRates.contains(rate) else {
                    return .envelope(400, code: nil, "Invalid sample_rate \(value)")
                }
            default:
                return .envelope(400, code: nil, "Unknown query parameter \(key)")
            }
        }
        return nil
    }

    /// Percent-decoded query pairs; nil when malformed.
    static func query(_ string: String) -> [(String, String)]? {
        guard !string.isEmpty else { return [] }
        var pairs: [(String, String)] = []
        for item in string.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let key = pair[0].removingPercentEncoding, let value = pair[1].removingPercentEncoding
            else { return nil }
            pairs.append((key, value))
        }
        return pairs
    }

    /// Closes every open WebSocket, as a service restarting would; the
    /// engines must open new ones (and meet whatever fault is injected then).
    public func dropSockets() {
        let sockets = state.withLock { $0.sockets }
        for socket in sockets { socket.close(promise: nil) }
    }

    /// Puts the protocol handler on an upgraded channel.
    func startSocket(on channel: any Channel, head: HTTPRequestHead) throws {
        let query = Self.query(String(head.uri.split(separator: "?", maxSplits: 1).dropFirst().first ?? "")) ?? []
        let rate = query.first { $0.0 == "sample_rate" }.flatMap { Int($0.1) } ?? 24_000
        let model = String(head.uri.split(separator: "?").first?.split(separator: "/ai/run/").last ?? "")
        let refused = state.withLock { state in
            if !state.stopped {
                state.connections.append(channel)
                state.sockets.append(channel)
            }
            return state.stopped
        }
        if refused {
            channel.close(promise: nil)
            return
        }
        try channel.pipeline.syncOperations.addHandler(
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: Self.maxBodyBytes))
        try channel.pipeline.syncOperations.addHandler(FakeSocketHandler(fake: self, model: model, sampleRate: rate))
        let fake = self
        channel.closeFuture.whenComplete { _ in
            fake.state.withLock { state in
                state.connections.removeAll { $0 === channel }
                state.sockets.removeAll { $0 === channel }
            }
        }
    }

    func recordSocketMessage(_ text: String, model: String) {
        state.withLock { state in
            state.socketMessages.append((model, text))
            if state.socketMessages.count > Self.maxRecordedRequests * 4 { state.socketMessages.removeFirst() }
        }
    }

    var socketSettings: (fault: Fault?, firstByteDelay: Duration, frameInterval: Duration, limits: Limits) {
        state.withLock { ($0.socketFault, $0.firstByteDelay, $0.frameInterval, $0.limits) }
    }
}

/// One fake streaming connection. Everything runs on the channel's event loop,
/// so a `Clear` and the audio it cancels cannot race: audio of an older
/// generation is never written after `Cleared`.
private final class FakeSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private struct Flush: Sendable {
        let text: String
        let sequence: Int
        let fault: FakeWorkersAI.Fault?
    }

    private let fake: FakeWorkersAI
    private let model: String
    private let sampleRate: Int
    private var text = ""
    private var sequence = 0
    private var generation = 0
    private var queue: [Flush] = []
    /// This connection's flushes and characters in Deepgram's window.
    private var flushTimes: [ContinuousClock.Instant] = []
    private var characterLog: [(at: ContinuousClock.Instant, count: Int)] = []
    private var streaming = false
    private var closing = false
    private var context: ChannelHandlerContext?

    init(fake: FakeWorkersAI, model: String, sampleRate: Int) {
        self.fake = fake
        self.model = model
        self.sampleRate = sampleRate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        sendJSON([
            "type": "Metadata", "request_id": UUID().uuidString.lowercased(), "model_name": model,
            "model_version": "fake", "model_uuid": UUID().uuidString.lowercased(),
        ])
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        generation += 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            let text = data.readString(length: data.readableBytes) ?? ""
            fake.recordSocketMessage(text, model: model)
            received(text)
        case .binary:
            close(code: .unacceptableData, "binary messages are not accepted")
        case .ping:
            var data = frame.unmaskedData
            send(WebSocketFrame(fin: true, opcode: .pong, data: data.readSlice(length: data.readableBytes) ?? ByteBuffer()))
        case .connectionClose:
            close(code: .normalClosure, "")
        default:
            break
        }
    }

    private func received(_ message: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any],
            let type = object["type"] as? String
        else { return close(code: .unacceptableData, "messages must be JSON objects with a type") }
        switch type {
        case "Speak":
            guard let words = object["text"] as? String, object.count == 2 else {
                return close(code: .policyViolation, "Speak needs exactly a text string")
            }
            guard words.count <= FakeWorkersAI.maxSpeakCharacters else {
                return close(code: .policyViolation, "text longer than 2000 characters")
            }
            let limits = fake.socketSettings.limits
            let now = ContinuousClock.now
            characterLog.removeAll { $0.at + limits.window <= now }
            characterLog.append((now, words.count))
            guard characterLog.reduce(0, { $0 + $1.count }) <= limits.charactersPerSocket else {
                return close(code: .policyViolation, "more than \(limits.charactersPerSocket) characters in a minute")
            }
            // Deepgram joins consecutive Speak texts as they are, with no space between.
            text += words
        case "Flush":
            sequence += 1
            fake.notify(.flushReceived(sequence: sequence))
            let settings = fake.socketSettings
            let flush = Flush(text: text, sequence: sequence, fault: settings.fault)
            text = ""
            let now = ContinuousClock.now
            flushTimes.removeAll { $0 + settings.limits.window <= now }
            guard flushTimes.count < settings.limits.flushesPerSocket else {
                fake.state.withLock { $0.refusedFlushes += 1 }
                fake.notify(.flushRefused(sequence: sequence))
                return sendJSON([
                    "type": "Warning", "code": "EXCESSIVE_FLUSH",
                    "description": "Exceeded the limit of \(settings.limits.flushesPerSocket) Flush messages per minute; this Flush was ignored",
                ])
            }
            flushTimes.append(now)
            switch settings.fault {
            case .stall:
                return
            case .flushWarning:
                return sendJSON([
                    "type": "Warning", "code": "FLUSH_RATE_LIMIT",
                    "description": "Exceeded the limit of 20 Flush messages per 60 seconds; this Flush was ignored",
                ])
            default:
                queue.append(flush)
                if !streaming { streamNext(firstByteDelay: settings.firstByteDelay) }
            }
        case "Clear":
            generation += 1
            queue.removeAll()
            text = ""
            streaming = false
            if fake.socketSettings.fault != .ignoreClear { sendJSON(["type": "Cleared", "sequence_id": sequence]) }
        case "Close":
            closing = true
            if !streaming { close(code: .normalClosure, "") }
        default:
            close(code: .policyViolation, "unknown message type \(type)")
        }
    }

    /// Streams the oldest queued flush: its audio in 20 ms frames, then `Flushed`.
    private func streamNext(firstByteDelay: Duration) {
        guard !queue.isEmpty else {
            streaming = false
            if closing { close(code: .normalClosure, "") }
            return
        }
        streaming = true
        let flush = queue.removeFirst()
        // The spaces that end a `Speak` at a word boundary are not heard.
        let heard = flush.text.trimmingCharacters(in: .whitespacesAndNewlines).count
        let seconds = Double(heard * FakeWorkersAI.millisecondsPerCharacter) / 1000
        let bytes =
            flush.fault == .binaryMP3
            ? fake.audio.mp3(seconds: seconds) : FakeAudio.pcm(seconds: seconds, sampleRate: sampleRate)
        let frameBytes = sampleRate / 50 * 2 + (flush.fault == .oddLengthFrames ? 1 : 0)
        let allFrames = stride(from: 0, to: bytes.count, by: frameBytes).map { Array(bytes[$0..<min($0 + frameBytes, bytes.count)]) }
        let frames = flush.fault == .closeMidBody ? Array(allFrames.prefix(max(1, allFrames.count / 2))) : allFrames
        let interval = fake.socketSettings.frameInterval
        let generation = self.generation
        let loop = NIOLoopBound(self, eventLoop: context!.eventLoop)

        @Sendable func step(_ index: Int) {
            let handler = loop.value
            guard handler.generation == generation, handler.context != nil else { return }
            if index < frames.count {
                handler.send(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: frames[index])))
                if index == 0 { handler.fake.notify(.firstAudioSent(sequence: flush.sequence)) }
                if interval > .zero {
                    handler.context?.eventLoop.scheduleTask(in: TimeAmount(interval)) { step(index + 1) }
                } else {
                    step(index + 1)
                }
                return
            }
            switch flush.fault {
            case .closeMidBody:
                handler.context?.close(promise: nil)
                return
            case .malformedJSON:
                handler.sendText(#"{"type":"Flushed","sequence_id":"#)
            default:
                handler.sendJSON(["type": "Flushed", "sequence_id": flush.sequence])
            }
            handler.streamNext(firstByteDelay: handler.fake.socketSettings.firstByteDelay)
        }

        if firstByteDelay > .zero {
            context?.eventLoop.scheduleTask(in: TimeAmount(firstByteDelay)) { step(0) }
        } else {
            step(0)
        }
    }

    private func sendJSON(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        sendText(String(decoding: data, as: UTF8.self))
    }

    private func sendText(_ text: String) {
        send(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
    }

    private func send(_ frame: WebSocketFrame) {
        context?.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func close(code: WebSocketErrorCode, _ reason: String) {
        guard let context else { return }
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let closed = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
        let channel = context.channel
        closed.whenComplete { _ in channel.close(promise: nil) }
        self.context = nil
    }
}
