internal import Foundation
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import NIOWebSocket
internal import HeraldSystem

/// A stand-in for Cloudflare Workers AI's text-to-speech endpoints, POST and
/// WebSocket, on 127.0.0.1 at a random port, strict about what
/// `docs/workers-ai.md` documents so that the engines are tested against
/// the contract, not against themselves.
///
/// It checks the path, the bearer token, the content type and the JSON body
/// (400 with the error envelope when wrong, 401 with code 10000 for a wrong
/// token) or the upgrade's query, answers real audio sized by the text (WAV or
/// raw PCM tones for the aura models, MP3 made by `lame` for MeloTTS), speaks
/// Deepgram's WebSocket messages (`Speak`, `Flush`, `Clear`, `Close`;
/// `Metadata`, `Flushed`, `Cleared`, `Warning`), records every request and
/// message, and injects the faults the engines must survive. Bodies, recorded
/// requests and delays are bounded; `stop()` closes every connection.
public final class FakeWorkersAI: Sendable {
    /// A failure to inject into every following answer, until cleared.
    public enum Fault: Sendable, Equatable {
        /// 401 with code 10000, whatever the token.
        case unauthorized
        /// 429 with `retry-after` and code 3040.
        case rateLimited(retryAfterSeconds: Int)
        /// 500 with an envelope.
        case serverError
        /// 200 `application/json` whose body is cut mid-document.
        case malformedJSON
        /// 400 with `{"success":false}` and no `errors`.
        case envelopeWithoutErrors
        /// 200 `text/html` with a web page.
        case wrongContentType
        /// 200 `audio/mpeg` cut inside an MP3 frame.
        case truncatedMP3
        /// Announces the whole body, sends half, and closes the connection.
        case closeMidBody
        /// Binary `audio/mpeg` instead of JSON (MeloTTS) or instead of WAV (aura, as reported);
        /// over a WebSocket, MP3 bytes in the binary frames where linear16 was asked.
        case binaryMP3
        /// WebSocket: the upgrade is refused with 400 and an envelope without `code`.
        case refuseUpgrade
        /// WebSocket: a `Flush` gets nothing back, ever; POST: no answer for 30 s.
        case stall
        /// WebSocket: a `Flush` gets a flush-rate `Warning` instead of audio.
        case flushWarning
        /// WebSocket: the audio is whole but its binary frames have odd lengths, splitting samples.
        case oddLengthFrames
        /// WebSocket: a `Clear` stops the audio but is never answered with `Cleared`.
        case ignoreClear
    }

    /// The service's limits, which the fake keeps so that no test passes by
    /// ignoring them (docs/workers-ai.md): per WebSocket, Deepgram's flushes
    /// and characters per minute; per account, concurrent sockets and
    /// Cloudflare's requests per 5 minutes. Tests may shorten the windows to
    /// show a limit within seconds; the engines are then given the same.
    public struct Limits: Sendable, Equatable {
        /// Deepgram's window for a socket's flushes and characters.
        public var window: Duration
        /// A `Flush` beyond these in `window` gets an `EXCESSIVE_FLUSH` warning and no audio.
        public var flushesPerSocket: Int
        /// `Speak` text beyond this in `window` drops the connection (close 1008).
        public var charactersPerSocket: Int
        /// An upgrade while this many sockets are open is refused with 429.
        public var maxSockets: Int
        /// Cloudflare's window for requests (POSTs and upgrades) per user.
        public var requestWindow: Duration
        /// A request beyond these in `requestWindow` gets 429 with `retry-after`.
        public var requestsPerWindow: Int

        public init(
            window: Duration = .seconds(60), flushesPerSocket: Int = 20, charactersPerSocket: Int = 2_400,
            maxSockets: Int = 15, requestWindow: Duration = .seconds(300), requestsPerWindow: Int = 1_200
        ) {
            self.window = window
            self.flushesPerSocket = flushesPerSocket
            self.charactersPerSocket = charactersPerSocket
            self.maxSockets = maxSockets
            self.requestWindow = requestWindow
            self.requestsPerWindow = requestsPerWindow
        }

        /// The real service's.
        public static let service = Limits()
    }

    /// How long text sounds: the fake speaks this many milliseconds per character.
    public static let millisecondsPerCharacter = 60
    /// Requests and bodies beyond these are refused or forgotten.
    public static let maxBodyBytes = 1 << 20
    public static let maxRecordedRequests = 512

    /// `http://127.0.0.1:PORT/client/v4`: pass as the engines' base URL.
    public let baseURL: String
    public let accountID: String
    public let token: String
    public let port: Int

    struct State {
        var fault: Fault?
        var socketFault: Fault?
        var firstByteDelay: Duration = .zero
        var frameInterval: Duration = .zero
        var requests: [FakeWorkersAIRequest] = []
        var socketMessages: [(model: String, text: String)] = []
        /// Answers to refused upgrades, by channel, until the connection asks for them.
        var refusals: [ObjectIdentifier: Answer] = [:]
        var connections: [any Channel] = []
        var sockets: [any Channel] = []
        var stopped = false
        var socketObserver: (@Sendable (FakeWorkersAISocketEvent) -> Void)?
        var limits = Limits.service
        /// When each request of the current window came, oldest first.
        var requestTimes: [ContinuousClock.Instant] = []
        /// Requests refused by the limits, by kind, for tests and the bench.
        var refusedForRate = 0
        var refusedForSockets = 0
        var refusedFlushes = 0
        /// Every request and every POST so far (the recorded list keeps only the last ones).
        var totalRequests = 0
        var totalPosts = 0

        /// Counts one request against the per-user rate; the 429 when it is over.
        mutating func admitRequest() -> Answer? {
            let now = ContinuousClock.now
            requestTimes.removeAll { $0 + limits.requestWindow <= now }
            guard requestTimes.count < limits.requestsPerWindow else {
                refusedForRate += 1
                let wait = requestTimes[requestTimes.count - limits.requestsPerWindow] + limits.requestWindow - now
                var answer = Answer.envelope(429, code: 971, "Please wait and consider throttling your request speed")
                answer.extraHeaders = [("retry-after", "\(max(1, wait.components.seconds + 1))")]
                return answer
            }
            requestTimes.append(now)
            return nil
        }
    }

    let state = Locked(State())
    let audio: FakeAudio
    private let serverChannel: any Channel
    private let acceptTask: Locked<Task<Void, Never>?> = Locked(nil)

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// What a new connection became: plain HTTP, or a WebSocket whose handler
    /// already lives in its pipeline.
    private enum Upgraded: Sendable {
        case http(Connection)
        case webSocket
    }

    /// Starts the server; throws when the port cannot be bound or sox/lame are missing.
    public static func start(accountID: String = "test-account", token: String = "test-token-0123456789") async throws
        -> FakeWorkersAI
    {
        let audio = try await FakeAudio.make()
        // The pipeline is built before the server object exists; it finds it here.
        let fakeHolder = Locked<FakeWorkersAI?>(nil)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    var configuration = NIOUpgradableHTTPServerPipelineConfiguration(
                            upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration<Upgraded>(
                                upgraders: [
                                    NIOTypedWebSocketServerUpgrader<Upgraded>(
                                        maxFrameSize: 1 << 20,
                                        shouldUpgrade: { channel, head in
                                            channel.eventLoop.makeSucceededFuture(
                                                fakeHolder.withLock { $0 }?.acceptsUpgrade(head, on: channel) == true
                                                    ? HTTPHeaders() : nil)
                                        },
                                        upgradePipelineHandler: { channel, head in
                                            channel.eventLoop.makeCompletedFuture {
                                                if let fake = fakeHolder.withLock({ $0 }) {
                                                    try fake.startSocket(on: channel, head: head)
                                                }
                                                return Upgraded.webSocket
                                            }
                                        })
                                ],
                                notUpgradingCompletionHandler: { channel in
                                    channel.eventLoop.makeCompletedFuture {
                                        .http(try Connection(wrappingChannelSynchronously: channel))
                                    }
                                }))
                    // A refused upgrade fires an error down the pipeline; the stock error handler would
                    // close the connection instead of letting the refusal be answered with its envelope.
                    configuration.enableErrorHandling = false
                    return try child.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
                }
            }
        let fake = FakeWorkersAI(listener: listener, audio: audio, accountID: accountID, token: token)
        fakeHolder.withLock { $0 = fake }
        fake.acceptTask.withLock { $0 = Task { await fake.accept(listener) } }
        return fake
    }

    private init(listener: NIOAsyncChannel<EventLoopFuture<Upgraded>, Never>, audio: FakeAudio, accountID: String, token: String) {
        let port = listener.channel.localAddress?.port ?? 0
        self.serverChannel = listener.channel
        self.audio = audio
        self.accountID = accountID
        self.token = token
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)/client/v4"
    }

    /// The two ways the engines reach the service.
    public enum Transport: Sendable, Hashable {
        case post
        case webSocket
    }

    /// Injects `fault` into every following answer over `transports`; nil answers normally again.
    public func inject(_ fault: Fault?, into transports: Set<Transport> = [.post, .webSocket]) {
        state.withLock { state in
            if transports.contains(.post) { state.fault = fault }
            if transports.contains(.webSocket) { state.socketFault = fault }
        }
    }

    /// Keeps `limits` from now on (`Limits.service` until then).
    public func setLimits(_ limits: Limits) { state.withLock { $0.limits = limits } }

    /// Requests refused with 429 by the per-user rate, and upgrades refused for too many open sockets.
    public var refusals: (rate: Int, sockets: Int) { state.withLock { ($0.refusedForRate, $0.refusedForSockets) } }

    /// Flushes answered with `EXCESSIVE_FLUSH` instead of audio.
    public var refusedFlushes: Int { state.withLock { $0.refusedFlushes } }

    /// Requests (POSTs and upgrades) and POSTs since the start, however many.
    public var totals: (requests: Int, posts: Int) { state.withLock { ($0.totalRequests, $0.totalPosts) } }

    /// WebSockets open now.
    public var openSockets: Int { state.withLock { $0.sockets.count } }

    /// Waits this long (at most 30 s) before the first byte of every following answer.
    public func delayFirstByte(by delay: Duration) { state.withLock { $0.firstByteDelay = min(delay, .seconds(30)) } }

    /// Sends WebSocket audio in frames of 20 ms this far apart (slow streaming); zero sends them at once.
    public func paceAudioFrames(every interval: Duration) { state.withLock { $0.frameInterval = min(interval, .seconds(5)) } }

    /// Every request so far, oldest first (the last `maxRecordedRequests`); a
    /// WebSocket appears as its upgrade GET.
    public var requests: [FakeWorkersAIRequest] { state.withLock { $0.requests } }

    /// Every text message received over WebSockets, oldest first, as sent.
    public var socketMessages: [String] { state.withLock { $0.socketMessages.map(\.text) } }

    /// The text messages received over `model`'s WebSockets, oldest first.
    public func socketMessages(for model: String) -> [String] {
        state.withLock { $0.socketMessages.filter { $0.model == model }.map(\.text) }
    }

    /// Closes the listener and every open connection.
    public func stop() async {
        let connections = state.withLock { state in
            state.stopped = true
            return state.connections
        }
        try? await serverChannel.close()
        for connection in connections { try? await connection.close() }
        let task = acceptTask.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    // MARK: Serving

    private func accept(_ listener: NIOAsyncChannel<EventLoopFuture<Upgraded>, Never>) async {
        try? await listener.executeThenClose { connections in
            await withDiscardingTaskGroup { group in
                do {
                    for try await upgrade in connections {
                        group.addTask {
                            guard case .http(let connection)? = try? await upgrade.get() else { return }
                            let refused = self.state.withLock { state in
                                if !state.stopped { state.connections.append(connection.channel) }
                                return state.stopped
                            }
                            if refused {
                                try? await connection.channel.close()
                                return
                            }
                            await self.serve(connection)
                        }
                    }
                } catch {}
                group.cancelAll()
            }
        }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    tooLarge = false
                case .body(let buffer):
                    if body.count + buffer.readableBytes > Self.maxBodyBytes { tooLarge = true } else { body += buffer.readableBytesView }
                case .end:
                    guard let head else {
                        // NIO's upgrade handler keeps the head of an upgrade it refused; its answer waits here.
                        guard let refusal = takeRefusal(for: connection.channel) else { return }
                        try await write(refusal, to: outbound)
                        continue
                    }
                    let request = FakeWorkersAIRequest(
                        method: "\(head.method.rawValue)", path: head.uri,
                        headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
                    let (fault, delay, overRate) = state.withLock { state in
                        state.requests.append(request)
                        if state.requests.count > Self.maxRecordedRequests { state.requests.removeFirst() }
                        state.totalRequests += 1
                        if request.method == "POST" { state.totalPosts += 1 }
                        return (state.fault, state.firstByteDelay, state.admitRequest())
                    }
                    let answer =
                        tooLarge
                        ? Answer.envelope(413, code: 3006, "Request too large") : overRate ?? respond(to: request, fault: fault)
                    let wait = fault == .stall ? .seconds(30) : delay
                    if wait > .zero { try await Task.sleep(for: wait) }
                    if try await write(answer, to: outbound) == false { return }
                }
            }
        }
        let channel = connection.channel
        state.withLock { $0.connections.removeAll { $0 === channel } }
    }

    /// Writes `answer`; false when the connection must now close.
    @discardableResult
    private func write(_ answer: Answer, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(answer.body.count)")
        for (name, value) in answer.extraHeaders { headers.add(name: name, value: value) }
        try await outbound.write(
            .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: answer.status), headers: headers)))
        if answer.closeMidBody {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: answer.body.prefix(answer.body.count / 2)))))
            return false
        }
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: answer.body))))
        try await outbound.write(.end(nil))
        return true
    }

    struct Answer {
        var status: Int
        var contentType: String
        var body: [UInt8]
        var extraHeaders: [(String, String)] = []
        var closeMidBody = false

        static func envelope(_ status: Int, code: Int?, _ message: String) -> Answer {
            var error: [String: Any] = ["message": message]
            if let code { error["code"] = code }
            return json(status, ["errors": [error], "success": false, "result": [String: Any](), "messages": [Any]()])
        }

        static func json(_ status: Int, _ object: [String: Any]) -> Answer {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return Answer(status: status, contentType: "application/json", body: Array(data))
        }
    }

    private static let postModels = [
        "@cf/deepgram/aura-1", "@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-es", "@cf/myshell-ai/melotts",
    ]
    static let auraSpeakers: [String: Set<String>] = [
        "@cf/deepgram/aura-1": Set(
            "angus asteria arcas orion orpheus athena luna zeus perseus helios hera stella".split(separator: " ").map(String.init)),
        "@cf/deepgram/aura-2-en": Set(
            ("amalthea andromeda apollo arcas aries asteria athena atlas aurora callista cora cordelia delia draco "
                + "electra harmonia helena hera hermes hyperion iris janus juno jupiter luna mars minerva neptune "
                + "odysseus ophelia orion orpheus pandora phoebe pluto saturn thalia theia vesta zeus").split(separator: " ")
                .map(String.init)),
        "@cf/deepgram/aura-2-es": Set(
            "sirio nestor carina celeste alvaro diana aquila selena estrella javier".split(separator: " ").map(String.init)),
    ]
    private static let encodings: Set<String> = ["linear16", "flac", "mulaw", "alaw", "mp3", "opus", "aac"]
    private static let containers: Set<String> = ["none", "wav", "ogg"]
    private static let meloLanguages: Set<String> = ["en", "es", "fr", "zh", "ja", "ko"]

    func respond(to request: FakeWorkersAIRequest, fault: Fault?) -> Answer {
        if request.method == "GET", let refusal = socketRefusal(request, fault: fault) { return refusal }
        let prefix = "/client/v4/accounts/\(accountID)/ai/run/"
        guard request.method == "POST" else { return .envelope(405, code: 3003, "Method not allowed") }
        guard request.path.hasPrefix(prefix) else { return .envelope(404, code: 7003, "Could not route to \(request.path)") }
        let model = String(request.path.dropFirst(prefix.count))
        guard Self.postModels.contains(model) else { return .envelope(400, code: 5007, "No such model \(model) or task") }
        if fault == .unauthorized || request.header("Authorization") != "Bearer \(token)" {
            return .envelope(401, code: 10000, "Authentication error")
        }
        guard let type = request.header("Content-Type"), type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json"
        else { return .envelope(400, code: 3003, "Incomplete request: Content-Type must be application/json") }
        guard let json = request.json else { return .envelope(400, code: 5004, "Invalid data: the body is not a JSON object") }

        let seconds: Double
        let isMelo = model == "@cf/myshell-ai/melotts"
        var sampleRate = 24_000
        var container = "wav"
        if isMelo {
            guard case .string(let prompt)? = json["prompt"], !prompt.isEmpty else {
                return .envelope(400, code: 3003, "Incomplete request: prompt is required")
            }
            if let unknown = json.keys.first(where: { !["prompt", "lang"].contains($0) }) {
                return .envelope(400, code: 5004, "Invalid data: unknown property \(unknown)")
            }
            if let lang = json["lang"] {
                guard case .string(let value) = lang, Self.meloLanguages.contains(value) else {
                    return .envelope(400, code: 5004, "Invalid data: lang")
                }
            }
            seconds = Double(prompt.count * Self.millisecondsPerCharacter) / 1000
        } else {
            guard case .string(let text)? = json["text"], !text.isEmpty else {
                return .envelope(400, code: 3003, "Incomplete request: text is required")
            }
            let allowed: Set<String> = ["text", "speaker", "encoding", "container", "sample_rate", "bit_rate"]
            if let unknown = json.keys.first(where: { !allowed.contains($0) }) {
                return .envelope(400, code: 5004, "Invalid data: unknown property \(unknown)")
            }
            if let speaker = json["speaker"] {
                guard case .string(let name) = speaker, Self.auraSpeakers[model]?.contains(name) == true else {
                    return .envelope(400, code: 5004, "Invalid data: speaker")
                }
            }
            if let encoding = json["encoding"] {
                guard case .string(let value) = encoding, Self.encodings.contains(value) else {
                    return .envelope(400, code: 5004, "Invalid data: encoding")
                }
                // Only linear16 is synthesised here; the others are valid but not what Herald asks.
                guard value == "linear16" || value == "mp3" else { return .envelope(400, code: 5004, "Fake: unsupported encoding") }
            }
            if let value = json["container"] {
                guard case .string(let name) = value, Self.containers.contains(name), name != "ogg" else {
                    return .envelope(400, code: 5004, "Invalid data: container")
                }
                container = name
            }
            if let rate = json["sample_rate"] {
                guard case .number(let value) = rate, value == value.rounded(), (8_000...48_000).contains(value) else {
                    return .envelope(400, code: 5004, "Invalid data: sample_rate")
                }
                sampleRate = Int(value)
            }
            if let rate = json["bit_rate"] {
                guard case .number = rate else { return .envelope(400, code: 5004, "Invalid data: bit_rate") }
            }
            if case .string("mp3")? = json["encoding"] { container = "mp3" }
            seconds = Double(text.count * Self.millisecondsPerCharacter) / 1000
        }

        switch fault {
        case .rateLimited(let wait):
            var answer = Answer.envelope(429, code: 3040, "Capacity temporarily exceeded, please try again later.")
            answer.extraHeaders = [("retry-after", "\(wait)")]
            return answer
        case .serverError:
            return .envelope(500, code: nil, "Internal server error")
        case .malformedJSON:
            return Answer(status: 200, contentType: "application/json", body: Array(#"{"result": {"audio": "SUQz"#.utf8))
        case .envelopeWithoutErrors:
            return .json(400, ["success": false, "result": [String: Any](), "messages": [Any]()])
        case .wrongContentType:
            return Answer(status: 200, contentType: "text/html", body: Array("<html><body>Gateway says hello</body></html>".utf8))
        case .truncatedMP3:
            return Answer(status: 200, contentType: "audio/mpeg", body: audio.truncatedMP3(seconds: seconds))
        case .closeMidBody:
            var answer =
                isMelo
                ? Answer(status: 200, contentType: "audio/mpeg", body: audio.mp3(seconds: seconds))
                : Answer(status: 200, contentType: "audio/wav", body: FakeAudio.wav(seconds: seconds, sampleRate: sampleRate))
            answer.closeMidBody = true
            return answer
        case .binaryMP3:
            return Answer(status: 200, contentType: "audio/mpeg", body: audio.mp3(seconds: seconds))
        case .unauthorized, .refuseUpgrade, .flushWarning, .stall, .oddLengthFrames, .ignoreClear, nil:
            break
        }
        if isMelo {
            return .json(
                200,
                [
                    "result": ["audio": Data(audio.mp3(seconds: seconds)).base64EncodedString()], "success": true,
                    "errors": [Any](), "messages": [Any](),
                ])
        }
        switch container {
        case "mp3": return Answer(status: 200, contentType: "audio/mpeg", body: audio.mp3(seconds: seconds))
        case "none": return Answer(status: 200, contentType: "audio/l16", body: FakeAudio.pcm(seconds: seconds, sampleRate: sampleRate))
        default: return Answer(status: 200, contentType: "audio/wav", body: FakeAudio.wav(seconds: seconds, sampleRate: sampleRate))
        }
    }
}
