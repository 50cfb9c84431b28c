import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// heraldd configured for Workers AI (the fake): the cloud voices reach
/// ListVoices, `herald voices` and `herald speak --voice`, and the token
/// stays out of the daemon's argv, log and status.
@Suite struct CloudVoiceTests {
    @Test func cloudVoicesAreListedAndSpoken() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(
            name: "cloud",
            config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]))
        let client = try await daemon.connect()
        let voices = try #require(try await client.call("ListVoices").first?.array).compactMap { $0.structFields?.compactMap(\.string) }
        let luna = voices.first { $0.first == "@cf/deepgram/aura-2-en:luna" }
        #expect(luna == ["@cf/deepgram/aura-2-en:luna", "luna", "en", "@cf/deepgram/aura-2-en"])
        let status = try await client.status()
        #expect(status["engine"]?.string == "@cf/deepgram/aura-2-en")
        await client.close()

        let listed = try await herald(["voices"], environment: daemon.environment)
        #expect(listed.output.contains("@cf/deepgram/aura-2-en:asteria"), "\(listed)")
        let spoken = try await herald(
            ["speak", "--wait", "--voice", "@cf/deepgram/aura-2-en:asteria", "Hello from the cloud."],
            environment: daemon.environment)
        #expect(spoken.status == 0, "\(spoken)\n\(daemon.log)")
        #expect(fake.requests.contains { $0.path.contains("speaker=asteria") })
        #expect(fake.socketMessages.contains(#"{"text":"Hello from the cloud. ","type":"Speak"}"#))

        let pid = daemon.process.pid
        let argv = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        _ = await daemon.stop()
        #expect(!argv.contains(fake.token))
        #expect(!daemon.log.contains(fake.token))
        #expect(!daemon.log.contains("Hello from the cloud"))
        let wav = try daemon.capture.wav()
        #expect(wav.sampleRate == 24_000 && wav.seconds > 1)
    }
}
