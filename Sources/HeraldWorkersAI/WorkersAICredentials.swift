internal import Glibc
internal import HeraldCore
internal import HeraldSystem

/// The account and API token the Workers AI engines authenticate with.
///
/// The token is kept out of `description`, `debugDescription` and every error
/// so that logging a value, or an error, can never leak it.
public struct WorkersAICredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accountID: String
    /// Internal: only the request builder reads it.
    let token: String

    public init(accountID: String, token: String) {
        self.accountID = accountID
        self.token = token
    }

    public var description: String { "account \(accountID), token <redacted>" }
    public var debugDescription: String { description }

    /// The `Authorization` header value.
    var authorization: String { "Bearer \(token)" }

    /// Resolves the credentials the way the config documents: `api_token`, then
    /// `api_token_file`, then `CLOUDFLARE_API_TOKEN`; `account_id`, then
    /// `CLOUDFLARE_ACCOUNT_ID`. `environment` defaults to the process's.
    ///
    /// - Throws: `WorkersAICredentialsError` when a value is missing, or when the
    ///   token file is unreadable or readable by others (a token in a file the
    ///   group can read is a leaked token).
    public static func resolve(
        accountID: String? = nil, token: String? = nil, tokenFile: String? = nil,
        environment: [String: String]? = nil
    ) throws(WorkersAICredentialsError) -> WorkersAICredentials {
        let environment = environment ?? ProcessEnvironment.current
        guard let account = nonEmpty(accountID) ?? nonEmpty(environment["CLOUDFLARE_ACCOUNT_ID"]) else {
            throw .missingAccount
        }
        if let token = nonEmpty(token) { return WorkersAICredentials(accountID: account, token: token) }
        if let tokenFile = nonEmpty(tokenFile) {
            let token = try readTokenFile(expandingTilde(tokenFile, environment: environment))
            return WorkersAICredentials(accountID: account, token: token)
        }
        if let token = nonEmpty(environment["CLOUDFLARE_API_TOKEN"]) {
            return WorkersAICredentials(accountID: account, token: token)
        }
        throw .missingToken
    }

    static func readTokenFile(_ path: String) throws(WorkersAICredentialsError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadableTokenFile(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & (S_IRWXG | S_IRWXO) == 0 else { throw .tokenFileTooOpen(path: path) }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .unreadableTokenFile(path: path, reason: error.description)
        }
        guard let token = nonEmpty(String(String(decoding: bytes, as: UTF8.self).trimmingWhitespace()))
        else { throw .unreadableTokenFile(path: path, reason: "it is empty") }
        return token
    }

    private static func expandingTilde(_ path: String, environment: [String: String]) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"] ?? ProcessEnvironment.current["HOME"] else {
            return path
        }
        return home + path.dropFirst()
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}

/// Why the Workers AI credentials could not be had; each message says what to do.
public enum WorkersAICredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingAccount
    case missingToken
    case unreadableTokenFile(path: String, reason: String)
    case tokenFileTooOpen(path: String)

    public var description: String {
        switch self {
        case .missingAccount:
            "no Cloudflare account id: set [cloudflare] account_id or CLOUDFLARE_ACCOUNT_ID"
        case .missingToken:
            "no Cloudflare API token: set [cloudflare] api_token_file (or api_token) or CLOUDFLARE_API_TOKEN"
        case .unreadableTokenFile(let path, let reason):
            "cannot read the API token file \(path): \(reason)"
        case .tokenFileTooOpen(let path):
            "the API token file \(path) is readable by other users; run `chmod 600 \(path)` and reload (herald reload)"
        }
    }
}
