import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldWorkersAI

/// The WebSocket engines against the fake Workers AI: the upgrade and the
/// messages exactly as the reference documents them, audio as it streams,
/// `Clear` on interruption, and a typed error for every injected fault.
struct StreamEngineTests {
    static let logger = Logger(label: "test.workersai.stream")
    static let text = PostEngineTests.text
    static let expectedSeconds = PostEngineTests.expectedSeconds

    static func engine(
        _ fake: FakeWorkersAI, model: WorkersAIModel = .aura2English, speaker: String? = nil, sampleRate: Int = 24_000,
        stall: Duration = .seconds(2)
    ) throws -> AuraStreamEngine {
        try AuraStreamEngine(
            model: model, speaker: speaker, sampleRate: sampleRate, connection: PostEngineTests.connection(fake),
            stallTimeout: stall, logger: logger)
    }

    static func chunk(_ text: String) -> SpeechChunk { SpeechChunk([.text(text)]) }

    @Test(arguments: [
        WorkersAIModel.aura, .aura1, .aura1Internal, .aura2, .aura2English, .aura2Spanish,
    ])
    func everyStreamingModelSpeaksAsDocumented(model: WorkersAIModel) async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake, model: model)
            let result = await Synthesis.run(engine, Self.chunk(Self.text))
            await engine.shutDown()
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(abs(result.seconds - Self.expectedSeconds) < 0.03, "\(result.seconds) s")
            #expect(result.rms > 0.1)
            #expect(result.audio.allSatisfy { $0.format == AudioFormat(sampleRate: 24_000) })
            let upgrade = try #require(fake.requests.first)
            #expect(upgrade.method == "GET")
            #expect(upgrade.header("Authorization") == "Bearer \(fake.token)")
            #expect(upgrade.header("Upgrade")?.lowercased() == "websocket")
            var query = "encoding=linear16&sample_rate=24000&container=none"
            if let speaker = model.defaultSpeaker { query = "speaker=\(speaker)&" + query }
            #expect(upgrade.path == "/client/v4/accounts/\(fake.accountID)/ai/run/\(model.name)?\(query)")
            #expect(fake.socketMessages == [#"{"text":"\#(Self.text) ","type":"Speak"}"#, #"{"type":"Flush"}"#])
        }
    }

    @Test func queryValuesArePercentEncodedByteByByte() {
        #expect(AuraStreamEngine.percentEncoded("asteria-en_2.~") == "asteria-en_2.~")
        #expect(AuraStreamEngine.percentEncoded("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
    }

    @Test func waitsAreSaidInTenthsOfASecond() {
        #expect(AuraStream.seconds(.milliseconds(1_250)) == "1.3 s")
        #expect(AuraStream.seconds(.seconds(59)) == "59.0 s")
        #expect(AuraStream.seconds(.milliseconds(-20)) == "0.0 s")
    }

    @Test func aVoiceChoiceOpensThatSpeakersConnection() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake, model: .aura2Spanish, sampleRate: 16_000)
            var settings = VoiceSettings()
            settings.voice = WorkersAIModel.aura2Spanish.voiceID(for: "javier")
            let result = await Synthesis.run(engine, Self.chunk("Hola a todos."), settings: settings)
            await engine.shutDown()
            #expect(result.error == nil)
            #expect(result.audio.first?.format.sampleRate == 16_000)
            #expect(fake.requests.map(\.path).first?.contains("speaker=javier&") == true)
        }
    }

    @Test func sentencesAreSentAheadOnOneConnection() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake)
            await engine.warmUp()
            async let first = Synthesis.run(engine, Self.chunk("First sentence here."))
            async let second = Synthesis.run(engine, Self.chunk("And a second one."))
            let (one, two) = await (first, second)
            await engine.shutDown()
            #expect(one.error == nil && two.error == nil)
            #expect(abs(one.seconds - 20 * 0.06) < 0.03)
            #expect(abs(two.seconds - 17 * 0.06) < 0.03)
            #expect(fake.requests.count == 1, "one connection for both")
        }
    }

    @Test func marksAreSpreadOverTheAudio() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try Self.engine(fake)
            let chunk = SpeechChunk([.mark("start"), .text("Half of the text, "), .mark("middle"), .text("and the rest of it."), .mark("end")])
            let result = await Synthesis.run(engine, chunk)
            await engine.shutDown()
            let times = result.markTimes
            #expect(times["start"] == 0)
            #expect(abs((times["middle"] ?? 0) - result.seconds * 18 / 37) < 0.15, "\(times)")
            #expect(times["end"] == result.seconds)
        }
    }

    @Test func interruptingSendsClearAndTheNextRequestGetsOnlyItsOwnAudio() async throws {
        try await PostEngineTests.withFake { fake in
            fake.paceAudioFrames(every: .milliseconds(10))
            let engine = try Self.engine(fake)
            var received = 0
            for try await output in engine.synthesize(Self.chunk(String(repeating: "long text ", count: 20)), settings: VoiceSettings()) {
                if case .audio = output { received += 1 }
                if received == 3 { break }
            }
            let next = await Synthesis.run(engine, Self.chunk("Short."))
            await engine.shutDown()
            #expect(next.error == nil)
            #expect(abs(next.seconds - 6 * 0.06) < 0.03, "only its own audio: \(next.seconds) s")
            #expect(fake.socketMessages.contains(#"{"type":"Clear"}"#))
            #expect(fake.requests.count == 1)
        }
    }

    @Test func faultsBecomeTypedErrorsWithoutTextOrToken() async throws {
        let cases: [(FakeWorkersAI.Fault, EngineError.Code)] = [
            (.unauthorized, .configuration), (.rateLimited(retryAfterSeconds: 7), .retryable), (.serverError, .retryable),
            (.refuseUpgrade, .unavailable), (.stall, .retryable), (.closeMidBody, .unavailable), (.binaryMP3, .failed),
            (.malformedJSON, .failed), (.flushWarning, .retryable),
        ]
        for (fault, code) in cases {
            try await PostEngineTests.withFake { fake in
                fake.inject(fault)
                let engine = try Self.engine(fake, stall: .milliseconds(500))
                let result = await Synthesis.run(engine, Self.chunk(Self.text))
                await engine.shutDown()
                #expect(result.error?.code == code, "\(fault): \(String(describing: result.error))")
                #expect(result.elapsed < .seconds(6).timingScaled, "\(fault) took \(result.elapsed)")
                let message = result.error?.message ?? ""
                #expect(!message.contains(fake.token) && !message.contains("lazy dog"), "\(message)")
                if case .rateLimited = fault { #expect(result.error?.retryAfter == .seconds(7)) }
            }
        }
    }
}

/// Bad input from the service: each is a failed attempt or, where the audio is
/// whole, played exactly; never a crash or a hung request.
struct StreamBadInputTests {
    @Test func framesOfOddLengthAreJoinedSampleBySample() async throws {
        try await PostEngineTests.withFake { fake in
            let engine = try StreamEngineTests.engine(fake)
            let whole = await Synthesis.run(engine, StreamEngineTests.chunk(StreamEngineTests.text))
            fake.inject(.oddLengthFrames)
            let split = await Synthesis.run(engine, StreamEngineTests.chunk(StreamEngineTests.text))
            await engine.shutDown()
            #expect(split.error == nil)
            #expect(split.audio.flatMap(\.samples) == whole.audio.flatMap(\.samples))
        }
    }

    @Test func aServerThatNeverAnswersTheUpgradeTimesOut() async throws {
        // A listening socket nobody accepts on: the connection opens, the upgrade is never answered.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, raw, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let connection = WorkersAIConnection(
            credentials: WorkersAICredentials(accountID: "account", token: "token-never-sent-anywhere"),
            baseURL: "http://127.0.0.1:\(port)/client/v4")
        let engine = try AuraStreamEngine(
            model: .aura2English, connection: connection, stallTimeout: .milliseconds(500), logger: StreamEngineTests.logger)
        let result = await Synthesis.run(engine, StreamEngineTests.chunk("Hello there."))
        await engine.shutDown()
        print("unanswered upgrade: \(String(describing: result.error)) after \(result.elapsed)")
        #expect(result.error?.code == .retryable)
        #expect(result.elapsed < .seconds(3).timingScaled)
        #expect(result.error?.message.contains("token-never") == false)
    }
}
