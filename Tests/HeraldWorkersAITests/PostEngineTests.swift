import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldWorkersAI

/// What one synthesis produced: outputs in order, and the error that ended it.
struct Synthesis {
    var outputs: [SynthesisOutput] = []
    var error: EngineError?
    var otherError: (any Error)?
    var elapsed: Duration = .zero

    var audio: [AudioChunk] {
        outputs.compactMap { if case .audio(let chunk) = $0 { chunk } else { nil } }
    }
    var seconds: Double { audio.reduce(0.0) { $0 + $1.format.seconds(frames: $1.frameCount) } }
    var rms: Double {
        let count = audio.reduce(0) { $0 + $1.samples.count }
        guard count > 0 else { return 0 }
        let sum = audio.reduce(0.0) { total, chunk in chunk.samples.reduce(total) { $0 + Double($1) * Double($1) } }
        return (sum / Double(count)).squareRoot() / Double(Int16.max)
    }
    /// Seconds of audio before each mark.
    var markTimes: [String: Double] {
        var seconds = 0.0
        var times: [String: Double] = [:]
        for output in outputs {
            switch output {
            case .audio(let chunk): seconds += chunk.format.seconds(frames: chunk.frameCount)
            case .mark(let name): times[name] = seconds
            }
        }
        return times
    }

    static func run(_ engine: some SpeechEngine, _ chunk: SpeechChunk, settings: VoiceSettings = VoiceSettings()) async -> Synthesis {
        var result = Synthesis()
        let start = ContinuousClock.now
        do {
            for try await output in engine.synthesize(chunk, settings: settings) { result.outputs.append(output) }
        } catch let error as EngineError {
            result.error = error
        } catch {
            result.otherError = error
        }
        result.elapsed = ContinuousClock.now - start
        return result
    }
}

/// The POST engines against the fake Workers AI: requests exactly as the
/// reference documents them, audio of plausible length, typed errors for
/// every injected fault, and no token or text in any error.
struct PostEngineTests {
    static let logger = Logger(label: "test.workersai")
    static let text = "The quick brown fox jumps over the lazy dog."

    static func connection(_ fake: FakeWorkersAI, timeout: Duration = .seconds(10)) -> WorkersAIConnection {
        WorkersAIConnection(
            credentials: WorkersAICredentials(accountID: fake.accountID, token: fake.token), baseURL: fake.baseURL,
            timeout: timeout)
    }

    static func withFake(_ body: (FakeWorkersAI) async throws -> Void) async throws {
        let fake = try await FakeWorkersAI.start()
        do {
            try await body(fake)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    static let expectedSeconds = Double(text.count * FakeWorkersAI.millisecondsPerCharacter) / 1000

    @Test(arguments: [WorkersAIModel.aura1, .aura2English, .aura2Spanish])
    func auraRequestAndAnswer(model: WorkersAIModel) async throws {
        try await Self.withFake { fake in
            let engine = try AuraPostEngine(model: model, connection: Self.connection(fake), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            #expect(result.error == nil)
            #expect(result.otherError == nil)
            let request = try #require(fake.requests.last)
            #expect(request.method == "POST")
            #expect(request.path == "/client/v4/accounts/\(fake.accountID)/ai/run/\(model.name)")
            #expect(request.header("Authorization") == "Bearer \(fake.token)")
            #expect(request.header("Content-Type") == "application/json")
            #expect(
                request.json == [
                    "text": .string(Self.text), "speaker": .string(model.defaultSpeaker ?? ""), "encoding": .string("linear16"),
                    "container": .string("wav"), "sample_rate": .number(24_000),
                ])
            print("\(model.name): \(result.seconds) s of audio in \(result.elapsed), RMS \(result.rms)")
            #expect(result.audio.first?.format == AudioFormat(sampleRate: 24_000))
            #expect(abs(result.seconds - Self.expectedSeconds) < 0.01)
            #expect(result.rms > 0.1)
        }
    }

    @Test func speakerFromVoiceSettingsAndRawPCM() async throws {
        try await Self.withFake { fake in
            let engine = try AuraPostEngine(
                model: .aura2English, speaker: "orion", sampleRate: 16_000, container: .none, connection: Self.connection(fake),
                logger: Self.logger)
            var result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            #expect(result.error == nil)
            #expect(fake.requests.last?.json?["speaker"] == .string("orion"))
            #expect(fake.requests.last?.json?["container"] == .string("none"))
            #expect(result.audio.first?.format == AudioFormat(sampleRate: 16_000))
            #expect(abs(result.seconds - Self.expectedSeconds) < 0.01)
            #expect(result.rms > 0.1)

            result = await Synthesis.run(
                engine, SpeechChunk([.text(Self.text)]), settings: VoiceSettings(voice: "@cf/deepgram/aura-2-en:thalia"))
            #expect(fake.requests.last?.json?["speaker"] == .string("thalia"))
        }
    }

    @Test func unknownSpeakerOrTransportIsAConfigurationError() throws {
        let connection = WorkersAIConnection(credentials: WorkersAICredentials(accountID: "a", token: "t"))
        #expect(throws: EngineError.self) { try AuraPostEngine(model: .aura2English, speaker: "nobody", connection: connection, logger: Self.logger) }
        #expect(throws: EngineError.self) { try AuraPostEngine(model: .aura2, connection: connection, logger: Self.logger) }
        #expect(throws: EngineError.self) { try MeloTTSEngine(language: "de", connection: connection, logger: Self.logger) }
    }

    @Test func auraAnswerInMP3IsDecoded() async throws {
        try await Self.withFake { fake in
            fake.inject(.binaryMP3)
            let engine = try AuraPostEngine(model: .aura1, connection: Self.connection(fake), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            #expect(result.error == nil)
            print("aura answering MP3: \(result.seconds) s (expected ≥ \(Self.expectedSeconds))")
            #expect(result.seconds >= Self.expectedSeconds && result.seconds < Self.expectedSeconds + 0.15)
            #expect(result.rms > 0.1)
        }
    }

    @Test(arguments: [false, true])
    func meloTTSRequestAndAnswer(binary: Bool) async throws {
        try await Self.withFake { fake in
            if binary { fake.inject(.binaryMP3) }
            let engine = try MeloTTSEngine(language: "en", connection: Self.connection(fake), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]), settings: VoiceSettings(language: "fr-FR"))
            #expect(result.error == nil)
            #expect(result.otherError == nil)
            let request = try #require(fake.requests.last)
            #expect(request.method == "POST")
            #expect(request.path == "/client/v4/accounts/\(fake.accountID)/ai/run/@cf/myshell-ai/melotts")
            #expect(request.header("Authorization") == "Bearer \(fake.token)")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.json == ["prompt": .string(Self.text), "lang": .string("fr")])
            print("melotts (\(binary ? "binary" : "JSON")): \(result.seconds) s in \(result.elapsed), RMS \(result.rms)")
            #expect(result.seconds >= Self.expectedSeconds && result.seconds < Self.expectedSeconds + 0.15)
            #expect(result.rms > 0.1)
        }
    }

    @Test(arguments: [WorkersAIModel.aura2English, .meloTTS])
    func marksAreProportional(model: WorkersAIModel) async throws {
        try await Self.withFake { fake in
            let engine: any SpeechEngine =
                model == .meloTTS
                ? try MeloTTSEngine(connection: Self.connection(fake), logger: Self.logger)
                : try AuraPostEngine(model: model, connection: Self.connection(fake), logger: Self.logger)
            let chunk = SpeechChunk([
                .mark("start"), .text("Hello there, "), .mark("middle"), .text("and now goodbye, friend"), .mark("end"),
            ])
            let result = await Synthesis.run(engine, chunk)
            #expect(result.error == nil)
            let times = result.markTimes
            let total = result.seconds
            #expect(times["start"] == 0)
            #expect(abs((times["middle"] ?? -1) - total * 13 / 36) < 0.001)
            #expect(times["end"] == total)
            #expect(fake.requests.last?.json?[model == .meloTTS ? "prompt" : "text"] == .string("Hello there, and now goodbye, friend"))
        }
    }

    enum Expectation: Sendable {
        case code(EngineError.Code)
        case retryable(after: Duration)
    }

    static let faults: [(FakeWorkersAI.Fault, Expectation)] = [
        (.unauthorized, .code(.configuration)),
        (.rateLimited(retryAfterSeconds: 7), .retryable(after: .seconds(7))),
        (.serverError, .code(.retryable)),
        (.malformedJSON, .code(.failed)),
        (.envelopeWithoutErrors, .code(.rejected)),
        (.wrongContentType, .code(.failed)),
        (.truncatedMP3, .code(.failed)),
        (.closeMidBody, .code(.unavailable)),
    ]

    @Test(arguments: [WorkersAIModel.aura2Spanish, .meloTTS])
    func everyFaultGivesItsClass(model: WorkersAIModel) async throws {
        try await Self.withFake { fake in
            let connection = Self.connection(fake, timeout: .seconds(5))
            let engine: any SpeechEngine =
                model == .meloTTS
                ? try MeloTTSEngine(connection: connection, logger: Self.logger)
                : try AuraPostEngine(model: model, connection: connection, logger: Self.logger)
            for (fault, expectation) in Self.faults {
                fake.inject(fault)
                let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
                let error = try #require(result.error, "\(fault) gave no EngineError (\(String(describing: result.otherError)))")
                print("\(model.name) \(fault): \(error.code) in \(result.elapsed) — \(error)")
                switch expectation {
                case .code(let code): #expect(error.code == code, "\(fault)")
                case .retryable(let after):
                    #expect(error.code == .retryable)
                    #expect(error.retryAfter == after)
                }
                if case .configuration = error.code { #expect(error.message.contains("token")) }
                #expect(!error.description.contains(fake.token))
                #expect(!error.description.contains(Self.text))
                #expect(result.elapsed < .seconds(5).timingScaled)
            }
        }
    }

    @Test func wrongTokenIsAConfigurationErrorAndNeverQuoted() async throws {
        try await Self.withFake { fake in
            let token = "wrong-secret-token-9d8c7b"
            let connection = WorkersAIConnection(
                credentials: WorkersAICredentials(accountID: fake.accountID, token: token), baseURL: fake.baseURL)
            let engine = try AuraPostEngine(model: .aura1, connection: connection, logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            let error = try #require(result.error)
            #expect(error.code == .configuration)
            #expect(error.message.contains("10000"))
            #expect(!"\(error)".contains(token))
            #expect(!String(reflecting: error).contains(token))
            #expect(!"\(connection.credentials)".contains(token))
        }
    }

    @Test func unknownAccountIsRejected() async throws {
        try await Self.withFake { fake in
            let connection = WorkersAIConnection(
                credentials: WorkersAICredentials(accountID: "someone-else", token: fake.token), baseURL: fake.baseURL)
            let engine = try MeloTTSEngine(connection: connection, logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            #expect(result.error?.code == .rejected)
        }
    }

    @Test func slowServiceTimesOutAsRetryable() async throws {
        try await Self.withFake { fake in
            fake.delayFirstByte(by: .seconds(3))
            let engine = try AuraPostEngine(
                model: .aura2English, connection: Self.connection(fake, timeout: .milliseconds(300)), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            print("timeout: \(String(describing: result.error)) after \(result.elapsed)")
            #expect(result.error?.code == .retryable)
            #expect(result.elapsed < .seconds(2).timingScaled)
        }
    }

    @Test func latencyBeforeFirstByteIsWaitedFor() async throws {
        try await Self.withFake { fake in
            fake.delayFirstByte(by: .milliseconds(250))
            let engine = try MeloTTSEngine(connection: Self.connection(fake), logger: Self.logger)
            let result = await Synthesis.run(engine, SpeechChunk([.text(Self.text)]))
            #expect(result.error == nil)
            #expect(result.elapsed >= .milliseconds(250))
            #expect(result.seconds > 0)
        }
    }

    @Test func cancellingTheConsumerCancelsTheRequest() async throws {
        try await Self.withFake { fake in
            fake.delayFirstByte(by: .seconds(10))
            let engine = try AuraPostEngine(model: .aura2English, connection: Self.connection(fake, timeout: .seconds(20)), logger: Self.logger)
            let start = ContinuousClock.now
            let consumer = Task { await Synthesis.run(engine, SpeechChunk([.text(Self.text)])) }
            // Cancel once the request reached the server.
            while fake.requests.isEmpty, ContinuousClock.now - start < .seconds(5) { try await Task.sleep(for: .milliseconds(10)) }
            consumer.cancel()
            let result = await consumer.value
            let elapsed = ContinuousClock.now - start
            print("cancelled after \(elapsed): \(String(describing: result.error))")
            #expect(elapsed < .seconds(2).timingScaled)
            #expect(result.audio.isEmpty)
        }
    }

    @Test func roundTripFigure() async throws {
        try await Self.withFake { fake in
            let engine = try AuraPostEngine(model: .aura2English, connection: Self.connection(fake), logger: Self.logger)
            _ = await Synthesis.run(engine, SpeechChunk([.text("Warm up.")]))
            var times: [Duration] = []
            for _ in 0..<20 {
                let result = await Synthesis.run(engine, SpeechChunk([.text("Hello.")]))
                #expect(result.error == nil)
                times.append(result.elapsed)
            }
            times.sort()
            print("fake-server round trip (aura POST, 6 characters, 20 runs): median \(times[10]), max \(times[19])")
            #expect(times[10] < .milliseconds(100).timingScaled)
        }
    }
}
