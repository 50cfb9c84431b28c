import Foundation
import HeraldCore
import Testing

@testable import HeraldWorkersAI

/// The model table and the credential rules of docs/workers-ai.md and the README's "Cloudflare Workers AI voices".
struct CatalogueTests {
    struct Row: Sendable, CustomStringConvertible {
        let name: String
        let post: Bool
        let webSocket: Bool
        let speakers: Int
        let defaultSpeaker: String?
        var description: String { name }
    }

    /// The reference table, row by row.
    static let table: [Row] = [
        Row(name: "@cf/deepgram/aura", post: false, webSocket: true, speakers: 0, defaultSpeaker: nil),
        Row(name: "@cf/deepgram/aura-1", post: true, webSocket: true, speakers: 12, defaultSpeaker: "angus"),
        Row(name: "@cf/deepgram/aura-1-internal", post: false, webSocket: true, speakers: 0, defaultSpeaker: nil),
        Row(name: "@cf/deepgram/aura-2", post: false, webSocket: true, speakers: 0, defaultSpeaker: nil),
        Row(name: "@cf/deepgram/aura-2-en", post: true, webSocket: true, speakers: 40, defaultSpeaker: "luna"),
        Row(name: "@cf/deepgram/aura-2-es", post: true, webSocket: true, speakers: 10, defaultSpeaker: "aquila"),
        Row(name: "@cf/myshell-ai/melotts", post: true, webSocket: false, speakers: 6, defaultSpeaker: "en"),
    ]

    @Test(arguments: table)
    func modelMatchesTheReference(row: Row) throws {
        let model = try #require(WorkersAIModel.named(row.name))
        #expect(model.supportsPost == row.post)
        #expect(model.supportsWebSocket == row.webSocket)
        #expect(model.speakers.count == row.speakers)
        #expect(model.defaultSpeaker == row.defaultSpeaker)
        if let speaker = row.defaultSpeaker { #expect(model.speaker(named: speaker) != nil) }
        #expect(Set(model.speakers.map(\.name)).count == model.speakers.count)
    }

    @Test func catalogueIsTheWholeTable() {
        #expect(WorkersAIModel.all.map(\.name) == Self.table.map(\.name))
        #expect(WorkersAIModel.aura2Spanish.speakers.allSatisfy { $0.language == "es" })
        #expect(WorkersAIModel.aura2English.speakers.allSatisfy { $0.language == "en" })
        #expect(WorkersAIModel.aura1.voices.first?.id == "@cf/deepgram/aura-1:angus")
    }
}

struct CredentialsTests {
    static let token = "cf-secret-token-4f9a8b7c"

    func temporaryFile(contents: String, mode: mode_t) throws -> String {
        let path = NSTemporaryDirectory() + "herald-token-\(UUID().uuidString.prefix(8))"
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test func fromEnvironment() throws {
        let credentials = try WorkersAICredentials.resolve(
            environment: ["CLOUDFLARE_ACCOUNT_ID": "acct", "CLOUDFLARE_API_TOKEN": Self.token])
        #expect(credentials.accountID == "acct")
        #expect(credentials.token == Self.token)
        #expect(!"\(credentials)".contains(Self.token))
        #expect(!String(reflecting: credentials).contains(Self.token))
    }

    @Test func configValuesComeBeforeEnvironment() throws {
        let credentials = try WorkersAICredentials.resolve(
            accountID: "config-acct", token: "config-token",
            environment: ["CLOUDFLARE_ACCOUNT_ID": "acct", "CLOUDFLARE_API_TOKEN": Self.token])
        #expect(credentials == WorkersAICredentials(accountID: "config-acct", token: "config-token"))
    }

    @Test func privateTokenFileIsRead() throws {
        let path = try temporaryFile(contents: Self.token + "\n", mode: 0o600)
        defer { unlink(path) }
        let credentials = try WorkersAICredentials.resolve(
            accountID: "acct", tokenFile: path, environment: ["CLOUDFLARE_API_TOKEN": "other"])
        #expect(credentials.token == Self.token)
    }

    @Test(arguments: [0o640 as mode_t, 0o604, 0o644])
    func tokenFileReadableByOthersIsRefused(mode: mode_t) throws {
        let path = try temporaryFile(contents: Self.token, mode: mode)
        defer { unlink(path) }
        #expect(throws: WorkersAICredentialsError.tokenFileTooOpen(path: path)) {
            try WorkersAICredentials.resolve(accountID: "acct", tokenFile: path, environment: [:])
        }
        let message = WorkersAICredentialsError.tokenFileTooOpen(path: path).description
        #expect(message.contains("chmod 600 \(path)"))
        #expect(!message.contains(Self.token))
    }

    @Test func missingValuesSayWhatToSet() {
        #expect(throws: WorkersAICredentialsError.missingAccount) {
            try WorkersAICredentials.resolve(environment: ["CLOUDFLARE_API_TOKEN": Self.token])
        }
        #expect(throws: WorkersAICredentialsError.missingToken) {
            try WorkersAICredentials.resolve(environment: ["CLOUDFLARE_ACCOUNT_ID": "acct"])
        }
        #expect(WorkersAICredentialsError.missingToken.description.contains("CLOUDFLARE_API_TOKEN"))
        #expect(throws: WorkersAICredentialsError.self) {
            try WorkersAICredentials.resolve(accountID: "acct", tokenFile: "/nonexistent/herald-token", environment: [:])
        }
    }
}

/// HTTP status and envelope → error class, as the reference's Errors section says.
struct ErrorEnvelopeTests {
    static func body(_ code: Int?) -> [UInt8] {
        let error = code.map { #"{"code":\#($0),"message":"boom"}"# } ?? #"{"message":"boom"}"#
        return Array(#"{"errors":[\#(error)],"success":false,"result":{},"messages":[]}"#.utf8)
    }

    @Test(arguments: [
        (401, 10000, EngineError.Code.configuration), (403, 10000, .configuration), (429, 3040, .retryable),
        (429, 3036, .retryable), (408, 3007, .retryable), (500, 0, .retryable), (503, 0, .retryable),
        (400, 5004, .rejected), (400, 3003, .rejected), (404, 3042, .rejected), (413, 3006, .rejected),
    ])
    func statusGivesTheClass(status: Int, code: Int, expected: EngineError.Code) {
        let error = WorkersAIErrorEnvelope.engineError(
            status: status, retryAfter: nil, body: Self.body(code == 0 ? nil : code), engine: "m", redacting: [])
        #expect(error.code == expected)
        #expect(error.message.contains("HTTP \(status)"))
        if code != 0 { #expect(error.message.contains("\(code)")) }
    }

    @Test func retryAfterIsKept() {
        let error = WorkersAIErrorEnvelope.engineError(status: 429, retryAfter: "12", body: Self.body(3040), engine: "m", redacting: [])
        #expect(error.retryAfter == .seconds(12))
    }

    @Test func configurationErrorSaysWhatToCheck() {
        let error = WorkersAIErrorEnvelope.engineError(status: 401, retryAfter: nil, body: [], engine: "m", redacting: [])
        #expect(error.message.contains("token"))
        #expect(error.message.contains("Workers AI"))
    }

    @Test func envelopeDecodesWithMissingFields() {
        #expect(WorkersAIErrorEnvelope.decode(Self.body(5004))?.codes == [5004])
        #expect(WorkersAIErrorEnvelope.decode(Self.body(nil))?.codes == [])
        #expect(WorkersAIErrorEnvelope.decode(Array(#"{"success":false}"#.utf8))?.errors == nil)
        #expect(WorkersAIErrorEnvelope.decode(Array("<html>".utf8)) == nil)
    }

    @Test func echoedSecretsAreCutOut() {
        let body = Array(#"{"errors":[{"code":5004,"message":"bad text: my password is hunter22 with tok-abcdef"}]}"#.utf8)
        let error = WorkersAIErrorEnvelope.engineError(
            status: 400, retryAfter: nil, body: body, engine: "m", redacting: ["my password is hunter22", "tok-abcdef"])
        #expect(!error.description.contains("hunter22"))
        #expect(!error.description.contains("tok-abcdef"))
    }
}

/// Marks placed in proportion to their character offsets.
struct MarkPlacementTests {
    @Test func marksSplitTheAudioProportionally() {
        let format = AudioFormat(sampleRate: 1000)
        let audio = [AudioChunk(format: format, samples: Array(repeating: 1, count: 600)), AudioChunk(format: format, samples: Array(repeating: 2, count: 400))]
        let outputs = MarkPlacement.interleave(audio, marks: [("start", 0), ("quarter", 25), ("sixty", 60), ("end", 100)], textLength: 100)
        var frames = 0
        var at: [String: Int] = [:]
        for output in outputs {
            switch output {
            case .audio(let chunk): frames += chunk.frameCount
            case .mark(let name): at[name] = frames
            }
        }
        #expect(frames == 1000)
        #expect(at == ["start": 0, "quarter": 250, "sixty": 600, "end": 1000])
    }
}
