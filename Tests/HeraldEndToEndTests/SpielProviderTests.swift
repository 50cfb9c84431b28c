import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// heraldd as a Spiel provider: the name on the bus, its voices against
/// Herald's own list, audio through a pipe, and Herald's own queue and sound
/// card left alone while Spiel clients synthesise.
@Suite(.heraldDaemon("spiel"))
struct SpielProviderEndToEndTests {
    static let providerName = "org.herald.Speech.Provider"
    static let rate = 22050

    /// A Spiel client of the suite's daemon, once the daemon owns the provider name.
    func spielClient() async throws -> (HeraldDaemonProcess, SpielClient) {
        let daemon = try #require(HeraldDaemonProcess.current)
        let connection = try await DBusConnection.connect(address: daemon.bus.address)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !connection.nameHasOwner(Self.providerName) {
            guard ContinuousClock.now < deadline else {
                Issue.record("heraldd did not own \(Self.providerName) within 10 s:\n\(daemon.log)")
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return (daemon, SpielClient(connection: connection))
    }

    func englishVoice(_ client: SpielClient) async throws -> String {
        try #require(try await client.voices().first { $0.id.hasSuffix("gmw/en-US") }?.id)
    }

    @Test func voicesAreHeraldsVoicesWithTheirFormat() async throws {
        let (daemon, spiel) = try await spielClient()
        let herald = try await daemon.connect()
        let listed = try await herald.call("ListVoices")
        let heraldVoices = try #require(listed.first?.array).compactMap { $0.structFields }
        let voices = try await spiel.voices()
        print("Spiel Voices: \(voices.count) voices, first \(voices.first.map { "\($0)" } ?? "-")")
        #expect(!voices.isEmpty)
        #expect(voices.map(\.id) == heraldVoices.compactMap { $0[0].string })
        #expect(voices.map(\.name) == heraldVoices.compactMap { $0[1].string })
        // No cloud engine is configured: every voice is espeak-ng's, at its rate, with exact marks.
        #expect(voices.allSatisfy { $0.outputFormat == "audio/x-spiel,format=S16LE,channels=1,rate=22050" })
        #expect(voices.allSatisfy { $0.features & 0x8 != 0 })
        #expect(try await spiel.property("Name").string == "Herald")
        await herald.close()
        await spiel.connection.close()
    }

    @Test func synthesisGoesToThePipeAndNotToHeraldsQueue() async throws {
        let (daemon, spiel) = try await spielClient()
        let herald = try await daemon.connect()
        let signals = try await herald.signalLog()
        let voice = try await englishVoice(spiel)
        let framesBefore = daemon.capture.framesWritten

        // A stalled Spiel request (its client reads nothing) and a finished one…
        let stalled = try await spiel.synthesize(SampleText.long, voice: voice)
        let reader = try await spiel.synthesize(SampleText.short, voice: voice)
        #expect(await reader.readToEnd(timeout: .seconds(20)))
        let content = reader.content
        print("Spiel via heraldd: \(content), \(content.seconds(rate: Self.rate)) s")
        #expect(content.seconds(rate: Self.rate) > 1.5 && content.seconds(rate: Self.rate) < 5)
        #expect(content.rms > 0.02)
        // …leave Herald's queue idle and its sound card silent.
        let status = try await herald.status()
        #expect(status["state"]?.string == "idle", "\(status)")
        #expect(daemon.capture.framesWritten == framesBefore)
        #expect(signals.all.isEmpty, "Spiel requests made Herald signals: \(signals.all)")

        // Herald's own message plays to its end meanwhile.
        let id = try await herald.speak("Herald speaks its own message.")
        let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
        #expect(signals.sequence(for: id) == ["Began", "Ended"], "\(signals.all)")
        #expect(end != nil)

        stalled.close()
        await herald.close()
        await spiel.connection.close()
        #expect(!daemon.log.contains("lazy dog"), "the log quotes spoken text")
    }

    /// GDBus from Python (python3-gi), which passes the pipe as libspiel
    /// does (a `GUnixFDList`, the default timeout), and decodes the stream
    /// with its own reading of the framing.
    @Test(.enabled(if: pythonGIAvailable, "needs python3-gi"))
    func aGDBusClientReceivesTheStream() async throws {
        let (daemon, spiel) = try await spielClient()
        let voice = try await englishVoice(spiel)
        await spiel.connection.close()
        let script = daemon.folder.path("spiel-client.py")
        try Self.gdbusClient.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try #require(
            try await runCommand(
                try ChildProcess.find("python3"), [script, voice, SampleText.short], environment: daemon.environment,
                timeout: .seconds(30)))
        print("Spiel GDBus client: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(result.status == 0, "\(result)")
        let fields = Dictionary(
            uniqueKeysWithValues: result.output.split(separator: " ").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            })
        #expect(fields["version"] == "0.01")
        let samples = try #require(fields["samples"].flatMap(Int.init))
        #expect(Double(samples) / Double(Self.rate) > 1.5 && Double(samples) / Double(Self.rate) < 5)
        #expect(fields["leftover"] == "0")
    }

    static let gdbusClient = """
        import os, struct, sys
        from gi.repository import Gio, GLib

        voice, text = sys.argv[1], sys.argv[2]
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        proxy = Gio.DBusProxy.new_sync(
            bus, Gio.DBusProxyFlags.NONE, None, "org.herald.Speech.Provider",
            "/org/herald/Speech/Provider", "org.freedesktop.Speech.Provider", None)
        read_end, write_end = os.pipe()
        fds = Gio.UnixFDList.new()
        index = fds.append(write_end)
        os.close(write_end)
        proxy.call_with_unix_fd_list_sync(
            "Synthesize", GLib.Variant("(hssddbs)", (index, text, voice, 1.0, 1.0, False, "")),
            Gio.DBusCallFlags.NONE, -1, fds, None)
        del fds
        data = b""
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
        version, at, samples, marks = data[:4].decode(), 4, 0, 0
        while at < len(data):
            if data[at] == 1:
                (size,) = struct.unpack_from("<I", data, at + 1)
                samples += size // 2
                at += 5 + size
            elif data[at] == 2:
                (kind, start, end, length) = struct.unpack_from("<BIII", data, at + 1)
                marks += 1
                at += 14 + length
            else:
                break
        print(f"version={version} samples={samples} marks={marks} leftover={len(data) - at}")
        """
}

/// Whether `/usr/bin/python3` can import GObject introspection's Gio.
let pythonGIAvailable: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", "from gi.repository import Gio"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    } catch {
        return false
    }
}()
