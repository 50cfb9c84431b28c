import HeraldConfig
import Foundation
import HeraldCore
import HeraldDaemon
import HeraldTesting
import Logging
import Testing

/// The engine chain as `heraldd` builds it from the config — aura over a
/// WebSocket, then aura over POST, then espeak-ng — against the fake Workers
/// AI, playing into a capture PCM. Each fault moves the rest of the message
/// to the next engine: every sentence heard once, began then ended, and one
/// log line that names the engine and the reason but neither text nor token.
@Suite(.serialized)
struct FallbackChainTests {
    let config = ALSATestConfig.shared
    let client = ClientID("test")

    /// Three sentences of about 2.5 s each at the fake's 60 ms a character.
    static let sentences = [
        "The first sentence goes to the streaming voice.",
        "A second sentence follows it, just as plainly.",
        "And the third one ends the whole message here.",
    ]
    static let text = sentences.joined(separator: " ")
    static let expectedSeconds = Double(sentences.joined().count * FakeWorkersAI.millisecondsPerCharacter) / 1000

    static let chain = [
        Configuration.Engine(model: "@cf/deepgram/aura-2-en", transport: "websocket"),
        Configuration.Engine(model: "@cf/deepgram/aura-2-en", transport: "post"),
        Configuration.Engine(model: "espeak-ng"),
    ]

    struct Outcome {
        var kinds: [SpeechEventKind]
        var seconds: Double
        var rate: Int
        var warnings: [RecordingLogHandler.Entry]
        var status: [EngineChain.Health]
        var logs: [RecordingLogHandler.Entry]
    }

    /// Speaks `text` through a pipeline on the fake and returns what was heard and said.
    func speak(
        _ text: String = Self.text, fake: FakeWorkersAI, engines: [Configuration.Engine] = Self.chain,
        before: (SpeechPipeline) async throws -> Void = { _ in }
    ) async throws -> Outcome {
        let capture = try config.makeCapture()
        var configuration = Configuration.cloud(fake, engines: engines, device: capture.name)
        configuration.cloudflare.stallTimeout = .milliseconds(700)
        let (logger, logs) = RecordingLogHandler.logger(label: "test.fallback")
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
        let events = SpeechEventLog(await pipeline.scheduler.events())
        do {
            try await before(pipeline)
            let (id, _) = await pipeline.scheduler.speak(.text(text), priority: .message, client: client, settings: VoiceSettings())
            let end = await events.waitForEnd(of: id, timeout: .seconds(30))
            #expect(end != nil, "no final event: \(events.kinds(for: id))")
            let status = pipeline.engine.status
            await pipeline.shutDown()
            let wav = try capture.wav()
            let entries = logs.all
            return Outcome(
                kinds: events.kinds(for: id), seconds: wav.seconds, rate: wav.sampleRate,
                warnings: entries.filter { $0.level >= .warning }, status: status, logs: entries)
        } catch {
            await pipeline.shutDown()
            throw error
        }
    }

    static func withFake<T>(_ body: (FakeWorkersAI) async throws -> T) async throws -> T {
        let fake = try await FakeWorkersAI.start()
        do {
            let result = try await body(fake)
            await fake.stop()
            return result
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Nothing spoken or secret in any line above debug.
    func expectPrivate(_ outcome: Outcome, _ fake: FakeWorkersAI) {
        for entry in outcome.logs where entry.level > .debug {
            let line = entry.description
            #expect(!line.contains(fake.token), "token in: \(line)")
            for sentence in Self.sentences { #expect(!line.contains(sentence.prefix(20)), "text in: \(line)") }
        }
    }

    @Test func aHealthyStreamSpeaksEverySentenceOnce() async throws {
        try await Self.withFake { fake in
            let outcome = try await speak(fake: fake)
            print("healthy: \(outcome.seconds) s, expected \(Self.expectedSeconds) s")
            #expect(outcome.kinds == [.began, .ended])
            #expect(abs(outcome.seconds - Self.expectedSeconds) < 0.3)
            #expect(outcome.warnings.isEmpty, "\(outcome.warnings)")
            #expect(fake.requests.allSatisfy { $0.method == "GET" }, "all through the WebSocket")
        }
    }

    @Test(arguments: [
        FakeWorkersAI.Fault.unauthorized, .rateLimited(retryAfterSeconds: 120), .serverError, .refuseUpgrade, .stall,
        .closeMidBody, .flushWarning, .malformedJSON, .binaryMP3,
    ])
    func aStreamingFaultMovesTheRestToThePostEngine(fault: FakeWorkersAI.Fault) async throws {
        try await Self.withFake { fake in
            fake.inject(fault, into: [.webSocket])
            let outcome = try await speak(fake: fake)
            let posts = fake.requests.filter { $0.method == "POST" }.count
            print("\(fault): \(outcome.seconds) s (expected \(Self.expectedSeconds) s), \(posts) POSTs, warnings: \(outcome.warnings)")
            #expect(outcome.kinds == [.began, .ended])
            #expect(outcome.rate == 24_000, "the POST voice took over, not espeak-ng")
            // Each sentence once: a repeat would add 2.5 s; a fallback mid-sentence may repeat part of a word.
            #expect(outcome.seconds > Self.expectedSeconds - 0.3 && outcome.seconds < Self.expectedSeconds + 0.8)
            #expect(posts >= 1 && posts <= 3)
            #expect(outcome.warnings.count == 1, "one line per fault: \(outcome.warnings)")
            let line = outcome.warnings.first?.description ?? ""
            #expect(line.contains("@cf/deepgram/aura-2-en"))
            expectPrivate(outcome, fake)
            switch fault {
            case .unauthorized:
                #expect(outcome.status[0].state == .disabled)
                #expect(outcome.warnings.first?.level == .error)
                #expect(line.contains("token"), "says what to fix: \(line)")
            case .rateLimited:
                guard case .coolingDown(let until) = outcome.status[0].state else {
                    Issue.record("not cooling down: \(outcome.status[0])")
                    return
                }
                #expect(until - .now > .seconds(100), "retry-after honoured")
            default:
                #expect(outcome.status[0].state != .ready)
            }
        }
    }

    @Test(arguments: [
        FakeWorkersAI.Fault.rateLimited(retryAfterSeconds: 5), .serverError, .stall, .closeMidBody, .truncatedMP3,
        .wrongContentType, .envelopeWithoutErrors, .malformedJSON,
    ])
    func aPostFaultMovesTheMessageToTheOfflineVoice(fault: FakeWorkersAI.Fault) async throws {
        try await Self.withFake { fake in
            fake.inject(fault)
            let model = fault == .malformedJSON ? "@cf/myshell-ai/melotts" : "@cf/deepgram/aura-1"
            let outcome = try await speak(
                fake: fake, engines: [Configuration.Engine(model: model, transport: "post"), Configuration.Engine(model: "espeak-ng")])
            print("POST \(fault): \(outcome.seconds) s at \(outcome.rate) Hz, warnings: \(outcome.warnings)")
            #expect(outcome.kinds == [.began, .ended])
            #expect(outcome.rate == 22_050, "espeak-ng spoke")
            #expect(outcome.seconds > 4 && outcome.seconds < 12)
            #expect(outcome.warnings.count == 1, "\(outcome.warnings)")
            #expect(outcome.warnings.first?.description.contains(model) == true)
            expectPrivate(outcome, fake)
        }
    }

    @Test func aRestingEngineIsTriedAgainAfterItsCooldown() async throws {
        try await Self.withFake { fake in
            fake.inject(.serverError, into: [.webSocket])
            var configuration = Configuration.cloud(fake, engines: Self.chain, device: try config.makeCapture().name)
            configuration.cloudflare.cooldown = .seconds(1)
            let (logger, _) = RecordingLogHandler.logger()
            let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
            let events = SpeechEventLog(await pipeline.scheduler.events())
            let (first, _) = await pipeline.scheduler.speak(.text("Said by the POST voice."), priority: .message, client: client, settings: VoiceSettings())
            _ = await events.waitForEnd(of: first, timeout: .seconds(10))
            let resting = pipeline.engine.status[0].state
            fake.inject(nil)
            try await Task.sleep(for: .milliseconds(1_600))  // the rest, and the socket's reconnect backoff after one failure
            let (second, _) = await pipeline.scheduler.speak(.text("Streamed again."), priority: .message, client: client, settings: VoiceSettings())
            let end = await events.waitForEnd(of: second, timeout: .seconds(10))
            let ready = pipeline.engine.status[0].state
            await pipeline.shutDown()
            #expect(resting != .ready)
            #expect(end?.event.kind == .ended)
            #expect(fake.socketMessages.contains(#"{"text":"Streamed again. ","type":"Speak"}"#))
            #expect(!fake.socketMessages.contains { $0.contains("POST voice") })
            #expect(ready != .disabled)
        }
    }

    @Test func aServiceNobodyAnswersFallsBackToTheOfflineVoice() async throws {
        try await Self.withFake { fake in
            await fake.stop()
            let outcome = try await speak(fake: fake)
            print("unreachable: \(outcome.seconds) s at \(outcome.rate) Hz, warnings: \(outcome.warnings)")
            #expect(outcome.kinds == [.began, .ended])
            #expect(outcome.rate == 22_050, "espeak-ng spoke")
            #expect(outcome.seconds > 4)
            #expect(outcome.warnings.count == 2, "one line per engine that failed: \(outcome.warnings)")
            expectPrivate(outcome, fake)
        }
    }

    @Test func faultsOnBothCloudEnginesLeaveTheOfflineVoice() async throws {
        try await Self.withFake { fake in
            fake.inject(.serverError)
            let outcome = try await speak(fake: fake)
            #expect(outcome.kinds == [.began, .ended])
            #expect(outcome.rate == 22_050)
            #expect(outcome.warnings.count == 2, "\(outcome.warnings)")
        }
    }

    @Test func interruptingAStreamPlaysNoStaleAudio() async throws {
        try await Self.withFake { fake in
            fake.paceAudioFrames(every: .milliseconds(20))
            let capture = try config.makeCapture()
            let configuration = Configuration.cloud(fake, engines: Self.chain, device: capture.name)
            let (logger, _) = RecordingLogHandler.logger(label: "test.fallback")
            let pipeline = try await SpeechPipeline(configuration: configuration, logger: logger)
            let events = SpeechEventLog(await pipeline.scheduler.events())
            let (long, _) = await pipeline.scheduler.speak(
                .text(String(repeating: "A long sentence that streams slowly. ", count: 10)), priority: .message, client: client,
                settings: VoiceSettings())
            let began = try #require(await events.wait(for: long, timeout: .seconds(10)) { $0 == .began })
            try await Task.sleep(until: began.at + .milliseconds(400), clock: .continuous)
            await pipeline.scheduler.cancel(.all)
            _ = await events.waitForEnd(of: long, timeout: .seconds(2))
            let framesAtCancel = capture.framesWritten
            let short = "Short and sweet."
            let (next, _) = await pipeline.scheduler.speak(.text(short), priority: .message, client: client, settings: VoiceSettings())
            let end = await events.waitForEnd(of: next, timeout: .seconds(10))
            await pipeline.shutDown()
            let after = Double(capture.framesWritten - framesAtCancel) / 24_000
            let expected = Double(short.count * FakeWorkersAI.millisecondsPerCharacter) / 1000
            print("after the cancel: \(after) s written, the next message is \(expected) s")
            #expect(end?.event.kind == .ended)
            #expect(abs(after - expected) < 0.1, "stale audio from before the Clear reached the device")
            #expect(fake.socketMessages.contains(#"{"type":"Clear"}"#))
        }
    }
}
