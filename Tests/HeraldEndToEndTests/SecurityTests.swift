import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// The secrets heraldd holds stay in: the API token is in no log line, argv,
/// environment, status, D-Bus error or SSIP reply, even when the service
/// refuses it, nor in a core file (heraldd is not dumpable); what users hear
/// is logged at debug level at most; a config
/// file others can read has its token refused; only the session bus is used.
@Suite struct SecurityTests {
    static let secret = "Correct horse battery staple"

    @Test func theTokenAndTheSpokenTextStayOutOfEverythingOthersSee() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        // Every request is refused, so the engine's error reaches the status and the log.
        fake.inject(.unauthorized)
        let daemon = try await HeraldDaemonProcess.start(
            name: "secrets", config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]),
            arguments: ["--log-level", "trace"])
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        var seen: [String] = []

        let id = try await client.speak(Self.secret + ".")
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(20))?.member == "Ended", "\(daemon.log)")
        let ssml = try await client.speak("<speak>\(Self.secret) <mark name=\"m\"/></speak>", "message", ["ssml": .bool(true)])
        _ = await signals.waitForEnd(of: ssml, timeout: .seconds(20))
        seen.append("\(try await client.status())")
        seen.append("\(try await client.call("ListVoices"))")
        for bad: [DBusValue] in [
            [.string(Self.secret), .string("loud"), .dictionary([:])],
            [.string(Self.secret), .string("message"), .dictionary(["voice": .string("no such voice")])],
            [.string(Self.secret), .string("message"), .dictionary(["rate": .int32(500)])],
            [.string("<speak>\(Self.secret)"), .string("message"), .dictionary(["ssml": .bool(true), "pitch": .string("x")])],
            [.string(Self.secret)],
        ] {
            let error = await dbusError { try await client.call("Speak", bad) }
            seen.append("\(String(describing: error?.name)) \(String(describing: error?.message))")
        }
        seen.append("\(String(describing: await dbusError { try await client.call("Stop", [.string("everyone")]) }))")
        await client.close()

        let ssip = try await Self.ssip(
            daemon, ["SET self CLIENT_NAME user:sec:main", "SPEAK", Self.secret, ".", "CHAR x", "GET OUTPUT_MODULE",
                     "LIST SYNTHESIS_VOICES", "HISTORY GET LAST", "GET CLIENT_NAME", "QUIT"])
        seen.append(ssip)
        #expect(ssip.contains("225 OK MESSAGE QUEUED"), "\(ssip)")

        let pid = daemon.process.pid
        let argv = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        let environ = (try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)) ?? ""
        #expect(argv.contains("--config"), "cannot read the daemon's argv")
        _ = await daemon.stop()

        for text in seen { #expect(!text.contains(fake.token), "\(text)") }
        for text in seen { #expect(!text.contains("battery"), "\(text)") }
        #expect(!argv.contains(fake.token))
        #expect(!environ.contains(fake.token))
        let log = daemon.log
        #expect(fake.requests.contains { $0.header("Authorization") == "Bearer \(fake.token)" }, "the cloud was not tried")
        #expect(log.contains("trace"), "no trace lines: \(log.prefix(500))")
        #expect(!log.contains(fake.token), "the token is in the log")
        let loud = log.split(separator: "\n").filter { line in
            !(line.contains(" trace ") || line.contains(" debug ")) && line.contains("battery")
        }
        #expect(loud.isEmpty, "spoken text logged above debug: \(loud)")
        // Read back from the kernel (PR_GET_DUMPABLE) before the line is logged.
        #expect(log.contains("core dumps and ptrace by other processes are off"), "heraldd left itself dumpable")
    }

    @Test func aConfigHoldingTheTokenThatOthersCanReadKeepsTheCloudOff() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(
            name: "open-config", config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]),
            configMode: 0o644)
        let client = try await daemon.connect()
        let voices = try #require(try await client.call("ListVoices").first?.array).compactMap { $0.structFields?.last?.string }
        let status = try await client.status()
        await client.close()
        _ = await daemon.stop()
        #expect(Set(voices) == ["espeak-ng"], "\(voices)")
        #expect(status["engine"]?.string == "espeak-ng")
        #expect(fake.requests.isEmpty)
        #expect(daemon.log.contains("chmod 600 \(daemon.configPath)"), "\(daemon.log)")
        #expect(!daemon.log.contains(fake.token))
    }

    @Test func onlyTheSessionBusIsUsed() async throws {
        let canary = try CanarySocket()
        let daemon = try await HeraldDaemonProcess.start(
            name: "bus", environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=\(canary.path)"])
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak("Hello.")
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(10))?.member == "Ended")
        _ = try await client.status()
        await client.close()
        let sockets = Self.unixSocketPeers(of: daemon.process.pid)
        _ = await daemon.stop()
        #expect(canary.connections() == 0, "heraldd connected to the system bus address")
        #expect(!sockets.contains { $0.contains("system_bus_socket") }, "\(sockets)")
    }

    /// Runs an SSIP session on the daemon's socket; everything the daemon answered.
    static func ssip(_ daemon: HeraldDaemonProcess, _ lines: [String]) async throws -> String {
        // One reply per command (its final line is `NNN text`); event lines (7xx) are kept too.
        let script = """
            import re, socket, sys
            s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
            out, pending, in_data = [], b"", False
            for line in sys.argv[2:]:
                s.sendall(line.encode() + b"\\r\\n")
                if in_data and line != ".": continue
                in_data = line == "SPEAK"
                while True:
                    while b"\\n" not in pending:
                        chunk = s.recv(4096)
                        if not chunk: sys.stdout.write("\\n".join(out)); sys.exit(0)
                        pending += chunk
                    reply, pending = pending.split(b"\\n", 1)
                    reply = reply.rstrip(b"\\r").decode(errors="replace")
                    out.append(reply)
                    if re.match(r"[0-689][0-9][0-9] ", reply): break
            sys.stdout.write("\\n".join(out))
            """
        let socket = daemon.folder.runtime.appendingPathComponent("herald/ssip.sock").path
        let result = try #require(try await runCommand("/usr/bin/env", ["python3", "-c", script, socket] + lines))
        #expect(result.status == 0, "\(result.errorOutput)")
        return result.output
    }

    /// Paths of the Unix sockets process `pid` is connected to, as /proc/net/unix names them.
    static func unixSocketPeers(of pid: pid_t) -> [String] {
        let table = (try? String(contentsOfFile: "/proc/\(pid)/net/unix", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            line.split(separator: " ").count >= 8 ? String(line.split(separator: " ")[7]) : nil
        }
    }
}

/// A listening Unix socket that counts who connects to it.
final class CanarySocket: @unchecked Sendable {
    let path: String
    private let descriptor: Int32

    init() throws {
        path = ALSATestConfig.shared.directory.appendingPathComponent("canary-\(UUID().uuidString.prefix(8)).sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0, listen(descriptor, 8) == 0 else {
            throw ChildProcess.SpawnError(description: "cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// Accepts (and closes) whatever connected so far; how many did.
    func connections() -> Int {
        var count = 0
        while true {
            let peer = accept(descriptor, nil, nil)
            guard peer >= 0 else { return count }
            close(peer)
            count += 1
        }
    }
}
