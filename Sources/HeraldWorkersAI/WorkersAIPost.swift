public import AsyncHTTPClient
internal import HeraldCore
internal import Logging
internal import NIOCore

/// What the POST engines share: the endpoint, the credentials, the HTTP client
/// and the mapping of HTTP failures to typed errors.
public struct WorkersAIConnection: Sendable {
    /// `https://api.cloudflare.com/client/v4`, as the config's `base_url` defaults to.
    public static let defaultBaseURL = "https://api.cloudflare.com/client/v4"

    public let credentials: WorkersAICredentials
    public let baseURL: String
    /// The whole request, from connect to last byte. Bounded so a hung service
    /// falls back to the next engine instead of leaving the user in silence.
    public let timeout: Duration
    /// Answers larger than this are refused (about 10 minutes of 24 kHz PCM).
    public let maxAnswerBytes: Int
    let client: HTTPClient

    public init(
        credentials: WorkersAICredentials, baseURL: String = WorkersAIConnection.defaultBaseURL,
        timeout: Duration = .seconds(15), maxAnswerBytes: Int = 32 << 20, client: HTTPClient = .shared
    ) {
        self.credentials = credentials
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.maxAnswerBytes = maxAnswerBytes
        self.client = client
    }

    /// An HTTP client bounded the way the engine chain needs: a connection that
    /// cannot be made within `stallTimeout` fails (instead of being retried
    /// until the request's deadline), and an answer that stops arriving for
    /// three times that long fails too — MeloTTS answers only once the whole
    /// chunk is synthesised. The caller shuts it down.
    public static func makeClient(stallTimeout: Duration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(stallTimeout), read: TimeAmount(stallTimeout * 3))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A connection with an HTTP client of its own, bounded as `makeClient`
    /// says: heraldd's engines share one, and `shutdown()` ends it once none
    /// of them is used any more.
    public static func bounded(
        credentials: WorkersAICredentials, baseURL: String, stallTimeout: Duration
    ) -> WorkersAIConnection {
        WorkersAIConnection(credentials: credentials, baseURL: baseURL, client: makeClient(stallTimeout: stallTimeout))
    }

    /// Shuts down a client of the connection's own (`bounded`); the shared one is left alone.
    public func shutdown() async {
        guard client !== HTTPClient.shared else { return }
        try? await client.shutdown()
    }

    /// `{base}/accounts/{account}/ai/run/{model}`.
    public func url(for model: WorkersAIModel) -> String {
        "\(baseURL)/accounts/\(credentials.accountID)/ai/run/\(model.name)"
    }

    /// An answer that came back as HTTP 2xx.
    struct Answer {
        let contentType: String
        let body: [UInt8]
    }

    /// POSTs `json` and returns a 2xx answer; anything else becomes an `EngineError`.
    /// Cancelling the calling task cancels the request.
    func post(
        _ json: [UInt8], model: WorkersAIModel, engine: String, text: String, logger: Logger
    ) async throws(EngineError) -> Answer {
        var request = HTTPClientRequest(url: url(for: model))
        request.method = .POST
        request.headers.add(name: "Authorization", value: credentials.authorization)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "audio/*, application/json")
        request.body = .bytes(json)
        let secrets = [credentials.token, text]
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            let body = try await response.body.collect(upTo: maxAnswerBytes)
            let bytes = Array(body.readableBytesView)
            logger.debug(
                "Workers AI answered",
                metadata: [
                    "herald.engine": "\(engine)", "herald.http.status": "\(response.status.code)",
                    "herald.http.bytes": "\(bytes.count)", "herald.http.elapsed": "\(ContinuousClock.now - started)",
                ])
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                throw WorkersAIErrorEnvelope.engineError(
                    status: status, retryAfter: response.headers.first(name: "retry-after"), body: bytes,
                    engine: engine, redacting: secrets)
            }
            return Answer(contentType: response.headers.first(name: "content-type")?.lowercased() ?? "", body: bytes)
        } catch let error as EngineError {
            throw error
        } catch is NIOTooManyBytesError {
            throw EngineError(.failed, engine: engine, "the answer is larger than Herald accepts (\(maxAnswerBytes) bytes)")
        } catch is CancellationError {
            throw EngineError(.failed, engine: engine, "the request was cancelled")
        } catch let error as HTTPClientError {
            throw Self.engineError(for: error, engine: engine, secrets: secrets)
        } catch {
            throw EngineError(
                .unavailable, engine: engine,
                "cannot reach Workers AI: \(WorkersAIErrorEnvelope.redact(String(describing: error), secrets))")
        }
    }

    /// Transport failures: a timeout is the service being slow (retryable), the
    /// rest mean it could not be reached or the answer broke off.
    static func engineError(for error: HTTPClientError, engine: String, secrets: [String]) -> EngineError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
            return EngineError(.retryable, engine: engine, "Workers AI did not answer in time")
        case .cancelled:
            return EngineError(.failed, engine: engine, "the request was cancelled")
        case .remoteConnectionClosed:
            return EngineError(.unavailable, engine: engine, "Workers AI closed the connection before the answer ended")
        default:
            return EngineError(
                .unavailable, engine: engine,
                "cannot reach Workers AI: \(WorkersAIErrorEnvelope.redact(String(describing: error), secrets))")
        }
    }
}

extension WorkersAIConnection {
    /// What both POST engines do with a chunk: POST `json`, decode the answer,
    /// and yield its audio with the chunk's marks placed proportionally. A
    /// chunk of marks alone needs no request (MeloTTS refuses an empty prompt).
    func synthesize(
        _ chunk: SpeechChunk, json: [UInt8], model: WorkersAIModel, engine: String, logger: Logger,
        decode: @escaping @Sendable (Answer) throws(EngineError) -> [AudioChunk]
    ) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let text = chunk.plainText
        let marks = chunk.markOffsets
        return .synthesis { output throws(EngineError) in
            guard !text.isEmpty else {
                for mark in marks { output.yield(.mark(mark.name)) }
                return
            }
            let answer = try await post(json, model: model, engine: engine, text: text, logger: logger)
            let audio = try decode(answer)
            for item in MarkPlacement.interleave(audio, marks: marks, textLength: text.count) { output.yield(item) }
        }
    }
}

extension AsyncThrowingStream where Element == SynthesisOutput, Failure == any Error {
    /// A stream fed by `body` in its own task; ending the stream cancels the task,
    /// and with it the HTTP request.
    static func synthesis(
        _ body: @escaping @Sendable (Continuation) async throws(EngineError) -> Void
    ) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let task = Task {
            do throws(EngineError) {
                try await body(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
