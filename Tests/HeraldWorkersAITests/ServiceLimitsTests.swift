import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldWorkersAI

/// The fake keeps the service's limits, so that no engine test passes by
/// ignoring them; the windows are shortened to seconds, the counts kept small.
struct FakeServiceLimitsTests {
    static func url(_ fake: FakeWorkersAI) -> String {
        "ws" + fake.baseURL.dropFirst("http".count) + "/accounts/\(fake.accountID)/ai/run/@cf/deepgram/aura-2-en?speaker=luna"
    }

    static func open(_ fake: FakeWorkersAI) async throws(EngineError) -> WorkersAISocket {
        try await WorkersAISocket.connect(
            url: url(fake), authorization: "Bearer \(fake.token)", timeout: .seconds(5), engine: "test", secrets: [],
            logger: PostEngineTests.logger)
    }

    /// What came back on `socket` until `Flushed` number `flushes` or a second of silence.
    static func collect(_ socket: WorkersAISocket, flushes: Int) async -> (texts: [String], audioBytes: Int) {
        var texts: [String] = []
        var audioBytes = 0
        let deadline = ContinuousClock.now + .seconds(5)
        var iterator = socket.messages.makeAsyncIterator()
        while ContinuousClock.now < deadline, texts.filter({ $0.contains("Flushed") || $0.contains("Warning") }).count < flushes {
            guard let message = await iterator.next() else { break }
            switch message {
            case .text(let text): texts.append(text)
            case .binary(let buffer): audioBytes += buffer.readableBytes
            }
        }
        return (texts, audioBytes)
    }

    @Test func aFlushOverTheLimitGetsAWarningAndNoAudio() async throws {
        try await PostEngineTests.withFake { fake in
            fake.setLimits(.init(window: .seconds(30), flushesPerSocket: 3))
            let socket = try await Self.open(fake)
            for index in 1...4 {
                socket.send(#"{"type":"Speak","text":"Message \#(index). "}"#)
                socket.send(#"{"type":"Flush"}"#)
            }
            let (texts, audioBytes) = await Self.collect(socket, flushes: 4)
            socket.close()
            print("over the flush limit: \(texts)")
            #expect(texts.filter { $0.contains("Flushed") }.count == 3)
            let warnings = texts.filter { $0.contains("Warning") }
            #expect(warnings.count == 1 && warnings.first?.contains("EXCESSIVE_FLUSH") == true, "\(texts)")
            // Three messages of 10 characters at 60 ms each, 24 kHz 16-bit: no audio for the fourth.
            #expect(audioBytes == 3 * 10 * 60 * 48)
        }
    }

    @Test func textOverTheCharacterLimitDropsTheConnection() async throws {
        try await PostEngineTests.withFake { fake in
            fake.setLimits(.init(window: .seconds(30), charactersPerSocket: 100))
            let socket = try await Self.open(fake)
            socket.send(#"{"type":"Speak","text":"\#(String(repeating: "word ", count: 15))"}"#)
            socket.send(#"{"type":"Speak","text":"\#(String(repeating: "more ", count: 10))"}"#)
            // The messages end only when the server closes the connection.
            for await _ in socket.messages {}
            let deadline = ContinuousClock.now + .seconds(2)
            while fake.openSockets > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(fake.openSockets == 0)
        }
    }

    @Test func upgradesBeyondTheConcurrencyLimitAreRefusedWith429() async throws {
        try await PostEngineTests.withFake { fake in
            fake.setLimits(.init(maxSockets: 2))
            let first = try await Self.open(fake)
            let second = try await Self.open(fake)
            do throws(EngineError) {
                _ = try await Self.open(fake)
                Issue.record("a third socket was accepted")
            } catch {
                #expect(error.code == .retryable, "\(error)")
                #expect(error.message.contains("429"), "\(error)")
            }
            #expect(fake.refusals.sockets == 1)
            first.close()
            second.close()
        }
    }

    @Test func requestsBeyondTheUserRateGet429WithRetryAfter() async throws {
        try await PostEngineTests.withFake { fake in
            fake.setLimits(.init(requestWindow: .seconds(30), requestsPerWindow: 3))
            let engine = try AuraPostEngine(model: .aura2English, connection: PostEngineTests.connection(fake), logger: PostEngineTests.logger)
            var errors: [EngineError] = []
            for _ in 1...4 {
                let result = await Synthesis.run(engine, StreamEngineTests.chunk("Hello."))
                if let error = result.error { errors.append(error) }
            }
            #expect(errors.count == 1)
            #expect(errors.first?.code == .retryable)
            let wait = try #require(errors.first?.retryAfter)
            #expect(wait > .seconds(20) && wait <= .seconds(31), "retry-after \(wait)")
            #expect(fake.refusals.rate == 1)
        }
    }
}

/// One aura voice at a screen reader's pace, within those limits: the pool of
/// connections and the POST endpoint of the same model and speaker.
struct VoiceUnderLimitsTests {
    /// Deepgram's minute shortened to 4 s, with 3 flushes per connection in it.
    static let limits = DeepgramLimits(window: .seconds(4), flushes: 3)

    static func engine(
        _ fake: FakeWorkersAI, model: WorkersAIModel = .aura2English, connections: Int = 2, overflowToPost: Bool = true
    ) throws -> AuraStreamEngine {
        fake.setLimits(.init(window: limits.window, flushesPerSocket: limits.flushes))
        return try AuraStreamEngine(
            model: model, speaker: "luna", connection: PostEngineTests.connection(fake), stallTimeout: .seconds(2),
            connections: connections, overflowToPost: overflowToPost, limits: limits, logger: PostEngineTests.logger)
    }

    @Test func manyShortMessagesAreAllSpokenByTheVoiceWithinTheLimits() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake)
            await engine.warmUp()
            var spoken = 0
            var failures: [EngineError] = []
            // 20 messages, 0.1 s apart: a key held down, far past 2 connections × 3 flushes.
            for index in 0..<20 {
                let result = await Synthesis.run(engine, StreamEngineTests.chunk("Item \(index)."))
                if let error = result.error { failures.append(error) } else if !result.audio.isEmpty { spoken += 1 }
                try await Task.sleep(for: .milliseconds(100))
            }
            await engine.shutDown()
            let posts = fake.requests.filter { $0.method == "POST" }
            let upgrades = fake.requests.filter { $0.method == "GET" }
            let flushes = fake.socketMessages.filter { $0.contains("Flush") }.count
            print("20 short messages: \(spoken) spoken, \(flushes) flushes over \(upgrades.count) connections, \(posts.count) POSTs")
            #expect(spoken == 20, "\(failures)")
            #expect(upgrades.count == 2)
            #expect(flushes <= 2 * 3 * 2, "each connection kept to 3 flushes per 4 s")
            #expect(posts.count >= 20 - flushes)
            // Every POST asked for the configured speaker, as raw PCM at the stream's rate.
            for post in posts {
                let body = String(decoding: post.body, as: UTF8.self)
                #expect(body.contains(#""speaker":"luna""#) && body.contains(#""container":"none""#), "\(body)")
            }
            #expect(fake.refusals == (0, 0))
        }
    }

    @Test func aModelWithoutPostFailsOnlyWhenEveryConnectionIsSpent() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake, model: .aura2, connections: 2)
            #expect(engine.overflow == nil)
            var outcomes: [Bool] = []
            var refusal: EngineError?
            for index in 0..<8 {
                let result = await Synthesis.run(engine, StreamEngineTests.chunk("Item \(index)."))
                outcomes.append(result.error == nil)
                if let error = result.error { refusal = error }
            }
            await engine.shutDown()
            print("aura-2 without POST: \(outcomes)")
            #expect(outcomes.prefix(6).allSatisfy { $0 }, "2 connections × 3 flushes are spoken")
            #expect(outcomes.suffix(2).allSatisfy { !$0 })
            // Refused at once with how long until a budget frees, for the chain to rest it that long.
            #expect(refusal?.code == .retryable)
            #expect((refusal?.retryAfter ?? .zero) > .seconds(2))
            #expect(fake.refusals == (0, 0))
            #expect(!fake.socketMessages.contains { $0.contains("EXCESSIVE_FLUSH") })
        }
    }

    @Test func aConnectionThatDropsMidMessageIsReplacedInTheSameVoice() async throws {
        try await PostEngineTests.withFake { fake in
            fake.paceAudioFrames(every: .milliseconds(20))
            let engine = try Self.engine(fake, connections: 2)
            await engine.warmUp()
            let text = "A sentence long enough to be cut in the middle of its audio."
            async let result = Synthesis.run(engine, StreamEngineTests.chunk(text))
            try await Task.sleep(for: .milliseconds(800))
            fake.dropSockets()
            let heard = await result
            await engine.shutDown()
            let expected = Double(text.count * FakeWorkersAI.millisecondsPerCharacter) / 1000
            print("dropped mid-message: \(heard.seconds) s heard for \(expected) s of text, error \(String(describing: heard.error))")
            #expect(heard.error == nil)
            // The rest from the word reached: a word again at most, never a sentence twice.
            #expect(heard.seconds >= expected - 0.1 && heard.seconds < expected + 1.0)
            #expect(fake.requests.count >= 2, "a second connection (or POST) spoke the rest")
        }
    }

    @Test func everySpeakEndsAtAWordBoundary() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake)
            for text in ["12345.", "Let us go.", "Tab\tended\t", "Trailing space "] {
                #expect(await Synthesis.run(engine, StreamEngineTests.chunk(text)).error == nil)
            }
            await engine.shutDown()
            let speaks = fake.socketMessages.filter { $0.contains("Speak") }
            #expect(speaks.count == 4)
            for speak in speaks {
                #expect(speak.hasSuffix(#" ","type":"Speak"}"#) || speak.hasSuffix(#"\t","type":"Speak"}"#), "\(speak)")
            }
            #expect(speaks[0] == #"{"text":"12345. ","type":"Speak"}"#)
        }
    }
}
