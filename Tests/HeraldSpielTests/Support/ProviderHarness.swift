import HeraldCore
import HeraldDBus
import HeraldEspeak
import HeraldTesting
import Logging
import Testing

@testable import HeraldSpiel

/// A Spiel provider served in this process on the test's private bus, and a
/// client connection to it, as libspiel would hold one.
struct ProviderHarness: Sendable {
    let provider: SpielProvider
    let service: SpielProviderService
    let server: DBusConnection
    let client: SpielClient
    let logs: RecordingLogHandler.Store

    /// The provider over the real espeak-ng, as heraldd builds it.
    static func espeak() async throws -> (ProviderHarness, englishVoice: String) {
        let engine = try EspeakEngine(logger: Logger(label: "test"))
        let harness = try await start(engine: engine)
        let english = try #require(harness.provider.voices.first { $0.voice.id.hasSuffix("gmw/en-US") }?.voice.id)
        return (harness, english)
    }

    static func start(
        engine: any SpeechEngine, voices: [Voice]? = nil, engines: [any SpeechEngine]? = nil, chunkCharacters: Int = 500
    ) async throws -> ProviderHarness {
        let bus = try #require(PrivateBus.current, "the test needs .privateBus")
        let (logger, logs) = RecordingLogHandler.logger(label: "spiel")
        let listed = if let voices { voices } else { await engine.voices() }
        let provider = SpielProvider(
            engine: engine, voices: listed, engines: engines ?? [engine],
            preparer: TextPreparer(maxChunkCharacters: chunkCharacters), logger: logger)
        let server = try await DBusConnection.connect(address: bus.address)
        let service = try await SpielProviderService.start(provider: provider, connection: server)
        let client = SpielClient(connection: try await DBusConnection.connect(address: bus.address))
        return ProviderHarness(provider: provider, service: service, server: server, client: client, logs: logs)
    }

    /// Waits until no request is running; returns how long that took, or nil after `timeout`.
    func waitUntilIdle(timeout: Duration = .seconds(10)) async -> Duration? {
        let timeout = timeout.timingScaled
        let start = ContinuousClock.now
        while provider.activeRequests > 0 {
            guard ContinuousClock.now - start < timeout else { return nil }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return ContinuousClock.now - start
    }

    func stop() async {
        provider.cancelAll()
        await client.connection.close()
        await server.close()
    }
}

