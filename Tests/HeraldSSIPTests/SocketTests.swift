import Foundation
import HeraldCore
import HeraldConfig
import HeraldSSIP
import HeraldTesting
import Logging
import Testing

/// The socket file: where it goes, its permissions, stale and live predecessors.
@Suite struct SocketTests {
    /// A scheduler with nothing behind it: these tests are about the socket only.
    struct SilentDriver: PlaybackDriver {
        func start(_ utterance: Utterance, report: @escaping @Sendable (PlaybackReport) async -> Void) {}
        func stop(_ id: UtteranceID) {}
        func pause(_ id: UtteranceID) {}
        func resume(_ id: UtteranceID) {}
    }

    static func service(_ path: String, compat: Bool = false, environment: [String: String] = [:]) -> (
        SSIPService, RecordingLogHandler.Store
    ) {
        let (logger, logs) = RecordingLogHandler.logger()
        let scheduler = Scheduler(player: SilentDriver(), logger: logger)
        return (
            SSIPService(
                socketPath: path, speechdCompat: compat, scheduler: scheduler, voices: [], outputModules: ["espeak-ng"],
                environment: environment, logger: logger),
            logs
        )
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    /// A listening socket that stands for another server.
    static func listen(_ path: String, keep: Bool) throws -> Int32 {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 4) == 0 else {
            throw SSIPTestClient.Failure(description: "cannot bind \(path)")
        }
        if !keep { close(fd) }
        return fd
    }

    @Test func defaultPaths() {
        #expect(
            Configuration.defaultSSIPSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"])
                == "/run/user/1000/herald/ssip.sock")
        #expect(Configuration.defaultSSIPSocketPath(environment: [:]) == "/tmp/herald-\(getuid())/ssip.sock")
        #expect(
            SSIPService.speechdSocketPath(environment: ["XDG_RUNTIME_DIR": "/r"]) == "/r/speech-dispatcher/speechd.sock"
        )
    }

    @Test func privateModesAndRemovalAtShutdown() async throws {
        let path = SSIPTestServer.makeSocketFolder() + "/sub/ssip.sock"
        let (service, _) = Self.service(path)
        try await service.bind()
        #expect(Self.mode(path) == 0o600)
        #expect(Self.mode(URL(fileURLWithPath: path).deletingLastPathComponent().path) == 0o700)
        let running = Task { try await service.run() }
        let client = try SSIPTestClient(path: path)
        #expect(try await client.command("HISTORY GET CLIENT_ID").last == "245 OK CLIENT ID SENT")
        running.cancel()
        try await running.value
        #expect(service.connectionCount == 0)
        #expect(await client.closedByServer(within: .seconds(5)))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Clients connecting in a burst while the server is cancelled: every
    /// connection NIO accepted is served (and closed), none is dropped unserved,
    /// which would trap on its writer (swift-nio issue 2813; seen in CI).
    @Test func cancellingWhileClientsConnectDropsNoConnection() async throws {
        for round in 0..<20 {
            let path = SSIPTestServer.makeSocketFolder() + "/ssip.sock"
            let (service, _) = Self.service(path)
            try await service.bind()
            let running = Task { try await service.run() }
            let clients = try (0..<64).map { _ in try SSIPTestClient(path: path) }
            if round % 2 == 1 { try await Task.sleep(for: .milliseconds(1)) }
            running.cancel()
            try await running.value
            for client in clients { client.close() }
            #expect(service.connectionCount == 0)
        }
    }

    @Test func staleSocketIsReplacedLiveOneIsRefused() async throws {
        let stale = SSIPTestServer.makeSocketFolder() + "/ssip.sock"
        _ = try Self.listen(stale, keep: false)
        let (first, firstLogs) = Self.service(stale)
        try await first.bind()
        #expect(firstLogs.all.contains { $0.message.contains("stale") })
        let running = Task { try await first.run() }

        let (second, _) = Self.service(stale)
        await #expect(throws: SSIPServiceError.socketInUse) { try await second.bind() }
        let client = try SSIPTestClient(path: stale)
        #expect(try await client.command("GET OUTPUT_MODULE") == ["251-espeak-ng", "251 OK GET RETURNED"])
        running.cancel()
        try await running.value

        let file = SSIPTestServer.makeSocketFolder() + "/not-a-socket"
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
        let (third, _) = Self.service(file)
        await #expect(throws: SSIPServiceError.notASocket) { try await third.bind() }
        #expect(FileManager.default.fileExists(atPath: file))
    }

    @Test func aPrivateFolderInASharedParentIsFine() async throws {
        // Without XDG_RUNTIME_DIR the socket goes to /tmp/herald-UID: /tmp is world-writable, the folder is not.
        let folder = "/tmp/herald-test-\(getuid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (service, _) = Self.service(folder + "/nested/ssip.sock")
        try await service.bind()
        let running = Task { try await service.run() }
        running.cancel()
        try await running.value
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/nested")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func speechdCompatListensWhenFreeAndStepsAsideOtherwise() async throws {
        let runtime = SSIPTestServer.makeSocketFolder()
        let environment = ["XDG_RUNTIME_DIR": runtime]
        let main = runtime + "/herald/ssip.sock"
        let compat = try #require(SSIPService.speechdSocketPath(environment: environment))

        let (free, _) = Self.service(main, compat: true, environment: environment)
        try await free.bind()
        #expect(free.listeningPaths == [main, compat])
        let running = Task { try await free.run() }
        let viaCompat = try SSIPTestClient(path: compat)
        #expect(try await viaCompat.command("GET OUTPUT_MODULE").last == "251 OK GET RETURNED")
        running.cancel()
        try await running.value
        #expect(!FileManager.default.fileExists(atPath: compat))

        let speechd = try Self.listen(compat, keep: true)
        defer { close(speechd) }
        let (taken, logs) = Self.service(main, compat: true, environment: environment)
        try await taken.bind()
        #expect(taken.listeningPaths == [main])
        let notices = logs.all.filter { $0.message.contains("Speech Dispatcher") }
        #expect(notices.count == 1 && notices[0].level == .notice, "\(logs.all.map(\.message))")
        let again = Task { try await taken.run() }
        again.cancel()
        try await again.value
        #expect(FileManager.default.fileExists(atPath: compat), "Speech Dispatcher's socket must stay")
    }
}
