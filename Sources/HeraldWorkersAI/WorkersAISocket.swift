internal import FoundationEssentials
internal import HeraldCore
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import NIOSSL
internal import NIOWebSocket

/// One WebSocket to Workers AI, on SwiftNIO directly.
///
/// Written by hand over NIOWebSocket rather than with a WebSocket client
/// library because Herald needs the answer to a refused upgrade — its status,
/// `retry-after` and error envelope decide between "try later", "fix your
/// token" and "next engine" — and the client libraries available here report
/// only that the upgrade failed.
///
/// Frames arrive on `messages` in order; the stream finishes when the socket
/// closes, for whatever reason. `send` never blocks: frames are queued on the
/// channel's event loop. Pings are answered and the close handshake completed
/// here. TLS certificates are always verified for `wss`.
final class WorkersAISocket: Sendable {
    enum Message: Sendable {
        case text(String)
        case binary(ByteBuffer)
    }

    let messages: AsyncStream<Message>
    private let channel: any Channel

    private init(channel: any Channel, messages: AsyncStream<Message>) {
        self.channel = channel
        self.messages = messages
    }

    /// Frames larger than this close the socket: a 24 kHz frame of a second is 48 KiB.
    static let maxFrameSize = 1 << 20
    private static let tlsContext = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

    /// What became of the upgrade request.
    private enum Upgrade: Sendable {
        case upgraded
        case refused(EventLoopFuture<RefusedAnswer>)
    }

    struct RefusedAnswer: Sendable {
        var status = 0
        var retryAfter: String?
        var body: [UInt8] = []
    }

    /// Opens `url` (`ws://` or `wss://`, query already percent-encoded) with
    /// the bearer `authorization`, within `timeout` for connect and upgrade.
    ///
    /// - Throws: `EngineError`: `.configuration` for 401/403, `.retryable` for
    ///   429 (with `retry-after`), 408, 5xx and timeouts, `.unavailable` for the rest.
    static func connect(
        url: String, authorization: String, timeout: Duration, engine: String, secrets: [String], logger: Logger
    ) async throws(EngineError) -> WorkersAISocket {
        guard let components = URLComponents(string: url), let host = components.host,
            let scheme = components.scheme, scheme == "ws" || scheme == "wss"
        else { throw EngineError(.configuration, engine: engine, "the WebSocket URL is not valid; check [cloudflare] base_url") }
        let secure = scheme == "wss"
        let port = components.port ?? (secure ? 443 : 80)
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: components.port.map { "\(host):\($0)" } ?? host)
        headers.add(name: "Authorization", value: authorization)
        headers.add(name: "User-Agent", value: "herald")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
        let tls: NIOSSLContext?
        do {
            tls = secure ? try tlsContext.get() : nil
        } catch {
            throw EngineError(.unavailable, engine: engine, "cannot set up TLS: \(error)")
        }
        let (messages, continuation) = AsyncStream.makeStream(of: Message.self)
        let started = ContinuousClock.now
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let channel: any Channel
        let upgrade: Upgrade
        do {
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
            let (connected, future) = try await bootstrap.connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let hostname = host.isIPAddress ? nil : host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 256,
                                    maxAccumulatedFrameSize: maxFrameSize))
                            try channel.pipeline.syncOperations.addHandler(SocketFrameHandler(continuation: continuation))
                            return .upgraded
                        }
                    }
                    let future = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(
                            upgradeConfiguration: .init(
                                upgradeRequestHead: head, upgraders: [upgrader],
                                notUpgradingCompletionHandler: { channel in
                                    channel.eventLoop.makeCompletedFuture {
                                        let collector = RefusalCollector(promise: channel.eventLoop.makePromise())
                                        try channel.pipeline.syncOperations.addHandler(collector)
                                        return .refused(collector.promise.futureResult)
                                    }
                                })))
                    // Bounded: a server that accepts the connection but never answers the upgrade.
                    let watchdog = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
                    future.whenComplete { _ in watchdog.cancel() }
                    return (channel, future)
                }
            }
            channel = connected
            upgrade = try await future.get()
        } catch {
            continuation.finish()
            if NIODeadline.now() >= deadline {
                throw EngineError(.retryable, engine: engine, "Workers AI did not accept the WebSocket within \(timeout)")
            }
            throw EngineError(
                .unavailable, engine: engine,
                "cannot reach Workers AI: \(WorkersAIErrorEnvelope.redact(String(describing: error), secrets))")
        }
        switch upgrade {
        case .upgraded:
            logger.debug(
                "WebSocket open", metadata: ["herald.engine": "\(engine)", "herald.elapsed": "\(ContinuousClock.now - started)"])
            return WorkersAISocket(channel: channel, messages: messages)
        case .refused(let answer):
            continuation.finish()
            let refused: RefusedAnswer
            do {
                refused = try await answer.get()
            } catch {
                channel.close(promise: nil)
                throw EngineError(.unavailable, engine: engine, "Workers AI refused the WebSocket and closed the connection")
            }
            channel.close(promise: nil)
            let error = WorkersAIErrorEnvelope.engineError(
                status: refused.status, retryAfter: refused.retryAfter, body: refused.body, engine: engine, redacting: secrets)
            // A refused upgrade is about the connection (model, speaker, format), not one chunk's text.
            guard error.code == .rejected else { throw error }
            throw EngineError(.unavailable, engine: engine, "the WebSocket upgrade was refused: \(error.message)")
        }
    }

    /// Queues a text frame; a closed socket drops it (the reader sees the close).
    func send(_ text: String) {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer), promise: nil)
    }

    /// Starts the close handshake and closes; `messages` finishes.
    func close() {
        var buffer = channel.allocator.buffer(capacity: 2)
        buffer.write(webSocketErrorCode: .normalClosure)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    var isOpen: Bool { channel.isActive }
}

/// Turns WebSocket frames into messages, answers pings, completes the close handshake.
private final class SocketFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<WorkersAISocket.Message>.Continuation
    private var closeSent = false

    init(continuation: AsyncStream<WorkersAISocket.Message>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            continuation.yield(.text(data.readString(length: data.readableBytes) ?? ""))
        case .binary:
            continuation.yield(.binary(frame.unmaskedData))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            continuation.finish()
            guard !closeSent else {
                context.close(promise: nil)
                return
            }
            closeSent = true
            var data = frame.unmaskedData
            let code = data.readSlice(length: 2) ?? ByteBuffer()
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: code)))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish()
        context.close(promise: nil)
    }
}

/// Collects the HTTP answer to a refused upgrade (bounded: an envelope is small).
private final class RefusalCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<WorkersAISocket.RefusedAnswer>
    private var answer = WorkersAISocket.RefusedAnswer()
    private var done = false

    init(promise: EventLoopPromise<WorkersAISocket.RefusedAnswer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            answer.status = Int(head.status.code)
            answer.retryAfter = head.headers.first(name: "retry-after")
        case .body(let buffer):
            if answer.body.count < 64 << 10 { answer.body += buffer.readableBytesView.prefix(64 << 10 - answer.body.count) }
        case .end:
            finish()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A refusal without a complete body still says what its status says.
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !done else { return }
        done = true
        if answer.status != 0 { promise.succeed(answer) } else { promise.fail(ChannelError.eof) }
    }
}

extension String {
    /// An IPv4 or IPv6 literal, which TLS must not send as SNI.
    fileprivate var isIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
