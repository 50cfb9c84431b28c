import HeraldConfig
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Testing

/// `RATE` reaches a cloud voice, which has no rate of its own: the sonic
/// stage makes what it plays shorter (the issue measured 3.72 s at both
/// `RATE 0` and `RATE 60` before it existed).
struct CloudRateTests {
    static let sentence = "The cloud voice reads this sentence at the rate the user set."

    @Test func rate60MakesTheCloudVoiceShorterThanRate0() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let seconds = try await SSIPTestServer.with(configure: { configuration in
            configuration.cloudflare.accountID = fake.accountID
            configuration.cloudflare.apiToken = fake.token
            configuration.cloudflare.baseURL = fake.baseURL
            configuration.engines = [Configuration.Engine(model: "@cf/deepgram/aura-2-en"), Configuration.Engine(model: "espeak-ng")]
        }) { server in
            let client = try server.connect()
            _ = try await client.command("SET self NOTIFICATION all on")
            var seconds: [Int: Double] = [:]
            for rate in [0, 60] {
                _ = try await client.command("SET self RATE \(rate)")
                let before = server.capture.framesWritten
                let id = try await client.speak(Self.sentence)
                _ = try await client.waitForEvent(702, id: id, timeout: .seconds(20))
                seconds[rate] = Double(server.capture.framesWritten - before) / 24_000
            }
            client.close()
            return seconds
        }
        let normal = try #require(seconds[0]), fast = try #require(seconds[60])
        print("cloud voice over SSIP: RATE 0 \(normal) s, RATE 60 \(fast) s (×\(normal / fast); mapped ×\(Prosody.speed(rate: 60)))")
        #expect(fake.socketMessages.filter { $0.contains(#""type":"Speak""#) }.count == 2, "each rate is one request")
        #expect(fast < normal * 0.6)
        #expect(normal > 3)
    }
}
