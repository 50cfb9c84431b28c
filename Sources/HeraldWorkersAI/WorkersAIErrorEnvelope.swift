internal import FoundationEssentials
public import HeraldCore

/// Cloudflare's error answer: `{"errors":[{"code":5004,"message":"…"}],"success":false,…}`.
///
/// Every field is optional because the service does not always send them all
/// (the WebSocket 400 omits `code`; a proxy may send none).
public struct WorkersAIErrorEnvelope: Sendable, Equatable, Decodable {
    public struct Item: Sendable, Equatable, Decodable {
        public let code: Int?
        public let message: String?
    }

    public let errors: [Item]?
    public let success: Bool?

    /// Decodes `body`; nil when it is not such an envelope.
    public static func decode(_ body: [UInt8]) -> WorkersAIErrorEnvelope? {
        try? JSONDecoder().decode(WorkersAIErrorEnvelope.self, from: Data(body))
    }

    public var codes: [Int] { (errors ?? []).compactMap(\.code) }

    /// The typed error for an HTTP answer that was not audio.
    ///
    /// The class follows the status: 429, 408 and 5xx are `.retryable` (with
    /// `retry-after` when sent), 401/403 `.configuration`, other 4xx `.rejected`.
    /// The service's own message is included with `redacting` (the spoken
    /// text, the token) cut out, since an echo of either must not reach a log.
    public static func engineError(
        status: Int, retryAfter: String?, body: [UInt8], engine: String, redacting secrets: [String]
    ) -> EngineError {
        let envelope = decode(body)
        var detail = "HTTP \(status)"
        if let envelope, !envelope.codes.isEmpty { detail += ", code " + envelope.codes.map(String.init).joined(separator: ", ") }
        if let message = envelope?.errors?.compactMap(\.message).first, !message.isEmpty {
            detail += ": " + redact(String(message.prefix(200)), secrets)
        }
        switch status {
        case 401, 403:
            return EngineError(
                .configuration, engine: engine,
                "Cloudflare refused the credentials (\(detail)); check the API token and that it has the Workers AI Read and Edit permissions"
            )
        case 429:
            let seconds = retryAfter.flatMap { Int($0.trimmingWhitespace()) }
            let wait = seconds.map { ", retry after \($0) s" } ?? ""
            return EngineError(
                .retryable, engine: engine, "rate limited or out of capacity (\(detail))\(wait)",
                retryAfter: seconds.map { .seconds($0) })
        case 408:
            return EngineError(.retryable, engine: engine, "the service timed out (\(detail))")
        case 500...599:
            return EngineError(.retryable, engine: engine, "the service failed (\(detail)); trying again later may work")
        case 413:
            return EngineError(.rejected, engine: engine, "the request is too large (\(detail)); send shorter chunks")
        case 404:
            return EngineError(.rejected, engine: engine, "no such model or account (\(detail)); check the model name and account id")
        default:
            return EngineError(.rejected, engine: engine, "the service rejected the request (\(detail))")
        }
    }

    static func redact(_ message: String, _ secrets: [String]) -> String {
        secrets.filter { $0.count >= 4 }.reduce(message) { $0.replacing($1, with: "<redacted>") }
    }
}
