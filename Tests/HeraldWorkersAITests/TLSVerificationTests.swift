import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldWorkersAI

/// Certificate checks are never off: both transports refuse an endpoint whose
/// certificate no trusted authority signed, and send it nothing.
///
/// The endpoint is `openssl s_server` with a self-signed certificate made for
/// this test, valid for `localhost` (so only the signer is wrong). Nothing in
/// Herald turns verification off for loopback either, so a local server shows
/// what a non-loopback impostor would get.
@Suite(.serialized)
struct TLSVerificationTests {
    static let logger = Logger(label: "test.workersai.tls")

    @Test func theWebSocketTransportRefusesASelfSignedCertificate() async throws {
        try await SelfSignedServer.with { server in
            let engine = try AuraStreamEngine(
                model: .aura2English, speaker: nil, sampleRate: 24_000, connection: server.connection(),
                stallTimeout: .seconds(5), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text("Hello.")]))
            await engine.shutDown()
            Self.expectCertificateRefusal(result, server: server)
        }
    }

    @Test func thePostTransportRefusesASelfSignedCertificate() async throws {
        try await SelfSignedServer.with { server in
            // The client the daemon makes (EngineFactory), not the shared default.
            let client = WorkersAIConnection.makeClient(stallTimeout: .seconds(5))
            let connection = WorkersAIConnection(
                credentials: server.credentials, baseURL: server.baseURL, timeout: .seconds(10), client: client)
            let engine = try AuraPostEngine(
                model: .aura2English, speaker: nil, sampleRate: 24_000, connection: connection, logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text("Hello.")]))
            try await client.shutdown()
            Self.expectCertificateRefusal(result, server: server)
        }
    }

    static func expectCertificateRefusal(_ result: Synthesis, server: SelfSignedServer) {
        #expect(result.audio.isEmpty)
        #expect(result.error != nil, "no EngineError: \(String(describing: result.otherError))")
        let said = result.error.map { "\($0)" } ?? ""
        #expect(said.lowercased().contains("certificate"), "\(said)")
        #expect(!said.contains(server.token))
        // The handshake was refused by the client: no request line reached the server.
        #expect(!server.output.contains("GET /") && !server.output.contains("POST /"), "\(server.output)")
    }
}

/// `openssl s_server` on a free localhost port with a fresh self-signed certificate.
struct SelfSignedServer {
    let port: Int
    let folder: URL
    let token = "tls-test-token-\(UUID().uuidString.prefix(8))"
    private let process: ChildProcess

    var output: String { (try? String(contentsOf: folder.appendingPathComponent("server.out"), encoding: .utf8)) ?? "" }

    var credentials: WorkersAICredentials { WorkersAICredentials(accountID: "account", token: token) }
    var baseURL: String { "https://localhost:\(port)/client/v4" }

    func connection() -> WorkersAIConnection {
        WorkersAIConnection(credentials: credentials, baseURL: baseURL, timeout: .seconds(10))
    }

    static func with(_ body: (SelfSignedServer) async throws -> Void) async throws {
        let openssl = try ChildProcess.find("openssl")
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("herald-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key.pem").path
        let certificate = folder.appendingPathComponent("cert.pem").path
        let made = try await runCommand(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            ])
        try #require(made?.status == 0, "openssl req: \(made?.errorOutput ?? "not run")")
        let port = Int.random(in: 20_000...60_000)
        let process = try ChildProcess(
            openssl, ["s_server", "-accept", "\(port)", "-cert", certificate, "-key", key, "-www"],
            environment: ProcessInfo.processInfo.environment, logPath: folder.appendingPathComponent("server.out").path)
        defer { process.terminate() }
        let server = SelfSignedServer(port: port, folder: folder, process: process)
        try #require(await waitUntilListening(port: port), "openssl s_server did not listen: \(server.output)")
        try await body(server)
    }

    /// Polls until something accepts TCP connections on localhost:`port`.
    private static func waitUntilListening(port: Int) async -> Bool {
        for _ in 0..<100 {
            if (try? await runCommand("/bin/bash", ["-c", "exec 3<>/dev/tcp/localhost/\(port)"]))?.status == 0 { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
