import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// A steady stream of messages through the whole chain — aura over a
/// WebSocket, aura over POST, espeak-ng — while the fake Workers AI cycles
/// through every fault it can inject, at every phase: at connect (refusals,
/// 401, 429, 500), before the first byte (stall), mid-stream (closed socket,
/// malformed message, MP3 where PCM was asked, flush warning) and during a
/// Clear (never answered). Every message must end once — heard, or failed
/// with a reason — within the configured bounds, and the memory must stay
/// flat. `HERALD_SOAK_MESSAGES` sets the count (10000 for the full soak;
/// 300 by default, which CI runs).
@Suite(.serialized)
struct SoakTests {
    let config = ALSATestConfig.shared

    static let faults: [(FakeWorkersAI.Fault?, Set<FakeWorkersAI.Transport>)] = [
        // A refused token sets the engine aside for good, and a flush warning rests it for a minute
        // (Deepgram's budget): both are tested on their own (FallbackChainTests).
        (nil, []), (.refuseUpgrade, [.webSocket]), (.rateLimited(retryAfterSeconds: 0), [.webSocket, .post]),
        (.serverError, [.webSocket]), (.stall, [.webSocket]), (.closeMidBody, [.webSocket, .post]), (.malformedJSON, [.webSocket]),
        (.binaryMP3, [.webSocket]), (.ignoreClear, [.webSocket]), (.truncatedMP3, [.post]),
        (.wrongContentType, [.post]), (.envelopeWithoutErrors, [.post]), (.oddLengthFrames, [.webSocket]),
    ]

    @Test func everyMessageEndsOnceUnderEveryFault() async throws {
        let count = ProcessInfo.processInfo.environment["HERALD_SOAK_MESSAGES"].flatMap(Int.init) ?? 300
        let fake = try await FakeWorkersAI.start()
        let capture = try config.makeCapture()
        var configuration = Configuration.cloud(
            fake,
            engines: [
                .init(model: "@cf/deepgram/aura-2-en", transport: "websocket"), .init(model: "@cf/deepgram/aura-2-en", transport: "post"),
                .init(model: "espeak-ng"),
            ],
            device: capture.name)
        configuration.cloudflare.stallTimeout = .milliseconds(300)
        configuration.cloudflare.cooldown = .zero
        var (logger, logs) = RecordingLogHandler.logger()
        // As a daemon runs: debug lines kept in the test's memory would count as the daemon's growth.
        logger.logLevel = .info
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        var outcomes: [String: Int] = [:]
        var slowest = Duration.zero
        var rss: [Int] = []
        let started = ContinuousClock.now
        for index in 0..<count {
            let (fault, transports) = Self.faults[index % Self.faults.count]
            fake.inject(nil)
            if let fault { fake.inject(fault, into: transports) }
            // Faults of the connect phase meet only new sockets: every other round starts with one.
            if index % 2 == 0 { fake.dropSockets() }
            let text = "Message \(index) of the soak."
            let sent = ContinuousClock.now
            let (id, _) = await pipeline.scheduler.speak(.text(text), priority: .message, client: ClientID("soak"), settings: VoiceSettings())
            if fault == .ignoreClear || index % 7 == 3 {
                // Interrupt it mid-stream: a Clear, answered or not.
                _ = await events.wait(for: id, timeout: .seconds(5)) { $0 == .began }
                await pipeline.scheduler.cancel(.message(id))
            }
            guard let end = await events.waitForEnd(of: id, timeout: .seconds(15)) else {
                Issue.record("message \(index) (\(String(describing: fault))) did not end: \(events.kinds(for: id))")
                break
            }
            slowest = max(slowest, end.at - sent)
            let outcome: String =
                switch end.event.kind {
                case .ended: "ended"
                case .canceled: "canceled"
                default: "failed"
                }
            outcomes[outcome, default: 0] += 1
            if case .failed(let reason) = end.event.kind { #expect(!reason.isEmpty) }
            #expect(events.kinds(for: id).filter(\.isFinal).count == 1)
            if index == count / 10 || index == count - 1, let bytes = processResidentBytes() { rss.append(bytes) }
            events.forget(id)
        }
        await pipeline.shutDown()
        await fake.stop()
        let growth = rss.count == 2 ? Double(rss[1] - rss[0]) / 1_048_576 : 0
        print(
            "soak: \(count) messages in \(ContinuousClock.now - started); outcomes \(outcomes); slowest \(slowest); "
                + "RSS \(rss.map { $0 / 1_048_576 }) MiB (growth \(String(format: "%.1f", growth)) MiB); "
                + "\(logs.all.filter { $0.level >= .warning }.count) warnings; requests: "
                + "\(fake.requests.filter { $0.method == "GET" }.count) upgrades, \(fake.requests.filter { $0.method == "POST" }.count) POSTs")
        var reasons: [String: Int] = [:]
        for entry in logs.all where entry.level >= .warning {
            reasons[String((entry.metadata["herald.reason"] ?? entry.message).prefix(40)), default: 0] += 1
        }
        print("soak warnings by reason: \(reasons.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == count)
        #expect(slowest < .seconds(10).timingScaled, "a message waited beyond the bounds")
        if TimingScale.memoryBoundsHold { #expect(growth < 30, "memory grew by \(growth) MiB") }
        #expect(!logs.all.contains { $0.level > .debug && $0.description.contains("of the soak") }, "spoken text logged")
    }
}
