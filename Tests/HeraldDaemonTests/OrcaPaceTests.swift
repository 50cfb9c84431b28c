import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import HeraldWorkersAI
import Logging
import Testing

/// The cloud voice under a screen reader's traffic, as heraldd builds it from
/// a config naming only aura-2-en (speaker luna), then espeak-ng: `CANCEL self`
/// and a new short message every 0.4 s, then a burst at 0.1 s. Deepgram's
/// minute is shortened to 4 s with 3 flushes per connection, so the budgets
/// run out within the test as they do in a minute of real use; the fake keeps
/// the same limits and refuses what goes over them.
@Suite(.serialized)
struct OrcaPaceTests {
    let client = ClientID("orca")

    /// heraldd's speech pipeline on a config naming only aura-2-en (luna) and espeak-ng.
    static func pipeline(
        _ fake: FakeWorkersAI, limits: DeepgramLimits, connections: Int
    ) async throws -> (SpeechPipeline, SpeechEventLog, RecordingLogHandler.Store) {
        let capture = try ALSATestConfig.shared.makeCapture()
        var configuration = Configuration.cloud(
            fake,
            engines: [
                Configuration.Engine(model: "@cf/deepgram/aura-2-en", speaker: "luna", connections: connections),
                Configuration.Engine(model: "espeak-ng"),
            ], device: capture.name)
        configuration.cloudflare.deepgramLimits = limits
        let (logger, logs) = RecordingLogHandler.logger(label: "test.orca")
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        return (pipeline, SpeechEventLog(await pipeline.scheduler.events()), logs)
    }

    @Test func theConfiguredVoiceSpeaksEveryMessageThatBegins() async throws {
        try await FallbackChainTests.withFake { fake in
            let limits = DeepgramLimits(window: .seconds(4), flushes: 3)
            fake.setLimits(.init(window: limits.window, flushesPerSocket: limits.flushes, maxSockets: 4))
            fake.delayFirstByte(by: .milliseconds(100))
            let (pipeline, events, logs) = try await Self.pipeline(fake, limits: limits, connections: 2)
            var ids: [UtteranceID] = []
            let pauses = Array(repeating: 400, count: 20) + Array(repeating: 100, count: 10)
            for (index, pause) in pauses.enumerated() {
                await pipeline.scheduler.cancel(.client(client))
                let (id, _) = await pipeline.scheduler.speak(
                    .text("Item \(index), link."), priority: .message, client: client, settings: VoiceSettings())
                ids.append(id)
                try await Task.sleep(for: .milliseconds(pause))
            }
            let last = try #require(ids.last)
            #expect(await events.waitForEnd(of: last, timeout: .seconds(10)) != nil)
            let status = pipeline.engine.status
            await pipeline.shutDown()

            let began = ids.filter { id in events.kinds(for: id).contains(.began) }
            let (requests, posts) = fake.totals
            let flushes = fake.socketMessages.filter { $0.contains(#""Flush""#) }.count
            let fellBack = logs.all.filter { $0.message.contains("next engine") }
            print(
                "Orca's pace: \(ids.count) sent, \(began.count) began; \(flushes) flushes, \(posts) POSTs, \(requests) requests; "
                    + "refused: \(fake.refusals), flushes \(fake.refusedFlushes); fallbacks logged: \(fellBack.count)")
            // At 0.4 s apart each begins before the next cancels it; in the burst, with 100 ms
            // before the service's first byte, some are canceled before their audio comes.
            #expect(ids.prefix(20).allSatisfy { began.contains($0) }, "\(began.count) began")
            // No message went to espeak-ng: the chain never failed aura-2-en, and the service refused nothing.
            #expect(fellBack.isEmpty, "\(fellBack.map(\.metadata))")
            #expect(status.first?.state == .ready)
            #expect(fake.refusedFlushes == 0)
            #expect(fake.refusals == (0, 0))
            // Every message that began had its own request to the voice: a flush or a POST.
            #expect(flushes + posts >= began.count)
            #expect(posts > 0, "the connections' budgets ran out, and POST spoke the rest")
            #expect(requests - posts <= 2, "two connections at most")
            for post in fake.requests where post.method == "POST" {
                #expect(String(decoding: post.body, as: UTF8.self).contains(#""speaker":"luna""#))
            }
        }
    }

    @Test func whenEveryPathIsLimitedTheNextEngineSpeaksAndTheLogSaysSoOnce() async throws {
        try await FallbackChainTests.withFake { fake in
            let limits = DeepgramLimits(window: .seconds(30), flushes: 1)
            fake.setLimits(.init(window: limits.window, flushesPerSocket: limits.flushes, requestWindow: .seconds(30), requestsPerWindow: 2))
            let (pipeline, events, logs) = try await Self.pipeline(fake, limits: limits, connections: 1)
            var ends: [SpeechEventKind?] = []
            for index in 0..<6 {
                let (id, _) = await pipeline.scheduler.speak(
                    .text("Message \(index)."), priority: .message, client: client, settings: VoiceSettings())
                ends.append(await events.waitForEnd(of: id, timeout: .seconds(10))?.event.kind)
            }
            await pipeline.shutDown()
            let fellBack = logs.all.filter { $0.message.contains("next engine") }
            print("every path limited: ends \(ends); logged \(fellBack.map { "\($0.metadata["herald.reason"] ?? "")" })")
            // One flush on the socket, one POST (the upgrade took the other request), then 429: espeak-ng.
            #expect(ends.allSatisfy { $0 == .ended })
            #expect(fellBack.count == 1, "said once, not per message")
            let reason = "\(fellBack.first?.metadata["herald.reason"] ?? "")"
            #expect(reason.contains("429") || reason.contains("rate"), "\(reason)")
            #expect(fellBack.first?.metadata["herald.rest"] != nil, "for how long")
        }
    }
}
