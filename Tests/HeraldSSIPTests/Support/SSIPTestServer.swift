import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldSSIP
import HeraldTesting
import Logging

/// The real speech pipeline (`SpeechPipeline`: scheduler, player, espeak-ng, ALSA
/// sink into a capture PCM) with an `SSIPService` on a socket of its own,
/// as heraldd would run them.
struct SSIPTestServer: Sendable {
    let pipeline: SpeechPipeline
    let service: SSIPService
    let socketPath: String
    let capture: ALSATestConfig.CapturePCM
    let logs: RecordingLogHandler.Store

    /// A fresh folder for one test's sockets, inside the test process's temp folder.
    static func makeSocketFolder() -> String {
        let folder = ALSATestConfig.shared.directory.appendingPathComponent(
            "ssip-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        return folder.path
    }

    /// Runs `body` with a server; always stops it (and its pipeline) afterwards.
    /// - Parameter configure: changes to the daemon's configuration (engines, credentials).
    static func with<T: Sendable>(
        paced: Bool = false, route: ALSATestConfig.Route? = nil, limits: SSIPService.Limits = .init(),
        configure: (inout Configuration) -> Void = { _ in },
        _ body: @Sendable (SSIPTestServer) async throws -> T
    ) async throws -> T {
        let capture = try ALSATestConfig.shared.makeCapture(route: route ?? (paced ? .pulse : .null))
        var configuration = Configuration()
        configure(&configuration)
        configuration.audioDevice = capture.name
        let (logger, logs) = RecordingLogHandler.logger(label: "ssip-test")
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let socketPath = makeSocketFolder() + "/ssip.sock"
        let service = SSIPService(
            socketPath: socketPath, scheduler: pipeline.scheduler, voices: await pipeline.voices(),
            outputModules: [pipeline.engineName], limits: limits, logger: logger)
        do {
            try await service.bind()
        } catch {
            await pipeline.shutDown()
            throw error
        }
        let running = Task { try await service.run() }
        let server = SSIPTestServer(
            pipeline: pipeline, service: service, socketPath: socketPath, capture: capture, logs: logs)
        do {
            let result = try await body(server)
            try await server.stop(running)
            return result
        } catch {
            try? await server.stop(running)
            throw error
        }
    }

    private func stop(_ running: Task<Void, any Error>) async throws {
        running.cancel()
        try await running.value
        await pipeline.shutDown()
    }

    func connect() throws -> SSIPTestClient { try SSIPTestClient(path: socketPath) }

    /// The environment for `spd-say` and Python clients: Herald's socket, the
    /// test ALSA config, and no way to start a real Speech Dispatcher.
    var clientEnvironment: [String: String] {
        var environment = ALSATestConfig.shared.environment
        environment["SPEECHD_ADDRESS"] = "unix_socket:\(socketPath)"
        environment["SPEECHD_CMD"] = "/bin/false"
        return environment
    }

    /// Waits until the capture file holds at least `frames` frames; false on timeout.
    func waitForAudio(frames: Int, timeout: Duration) async -> Bool {
        let timeout = timeout.timingScaled
        let deadline = ContinuousClock.now + timeout
        while capture.framesWritten < frames {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
