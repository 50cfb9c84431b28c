import Foundation
import HeraldCore
import HeraldDBus
import HeraldTesting
import Testing

@testable import HeraldSpiel

/// What a careless or hostile client can send: each gets an error reply or a
/// clean stop, and the provider keeps serving (checked after each case).
@Suite struct SpielBadInputTests {
    static let engine = ToneEngine(name: "tone", format: AudioFormat(sampleRate: 8000), millisecondsPerCharacter: 10)

    func start() async throws -> ProviderHarness {
        try await ProviderHarness.start(engine: Self.engine)
    }

    /// The provider still answers and streams: a short request completes.
    func expectStillServing(_ harness: ProviderHarness, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reader = try await harness.client.synthesize("still here", voice: "tone:default")
        #expect(await reader.readToEnd(timeout: .seconds(5)), sourceLocation: sourceLocation)
        #expect(reader.content.samples.count == Self.engine.frames(for: "still here"), sourceLocation: sourceLocation)
        #expect(await harness.waitUntilIdle() != nil, sourceLocation: sourceLocation)
    }

    func expectError(
        _ error: DBusError?, _ kind: String, mentioning word: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error else {
            Issue.record("expected \(SpielError.prefix)\(kind), got a normal reply", sourceLocation: sourceLocation)
            return
        }
        #expect(error.name == SpielError.prefix + kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.localizedCaseInsensitiveContains(word), "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n") && error.message.count < 300, "\(error)", sourceLocation: sourceLocation)
    }

    @Test(.privateBus) func aDescriptorThatIsNotAPipeIsRefused() async throws {
        let harness = try await start()
        let file = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(file) }
        let error = await dbusError {
            try await harness.client.synthesize(arguments: [
                .unixFD(DBusUnixFD(borrowing: file)), .string("text"), .string("tone:default"), .double(1), .double(1),
                .bool(false), .string(""),
            ])
        }
        expectError(error, "BadPipe", mentioning: "not a pipe")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func theReadEndIsRefused() async throws {
        let harness = try await start()
        let (readEnd, writeEnd) = try SpielClient.makePipe()
        defer {
            close(readEnd)
            close(writeEnd)
        }
        let error = await dbusError {
            try await harness.client.synthesize(arguments: [
                .unixFD(DBusUnixFD(borrowing: readEnd)), .string("text"), .string("tone:default"), .double(1),
                .double(1), .bool(false), .string(""),
            ])
        }
        expectError(error, "BadPipe", mentioning: "write end")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func aPipeWhoseReaderIsAlreadyClosedStopsCleanly() async throws {
        let harness = try await start()
        let (readEnd, writeEnd) = try SpielClient.makePipe()
        close(readEnd)
        defer { close(writeEnd) }
        try await harness.client.synthesize(arguments: [
            .unixFD(DBusUnixFD(borrowing: writeEnd)), .string(String(repeating: "long text ", count: 10_000)),
            .string("tone:default"), .double(1), .double(1), .bool(false), .string(""),
        ])
        let stopped = try #require(await harness.waitUntilIdle(timeout: .seconds(5)))
        print("Spiel closed reader: request ended \(stopped) after the reply")
        #expect(stopped < .seconds(1).timingScaled)
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func anUnknownVoiceIsRefused() async throws {
        let harness = try await start()
        let error = await dbusError { _ = try await harness.client.synthesize("text", voice: "espeak-ng:no/such-voice") }
        expectError(error, "UnknownVoice", mentioning: "Voices property")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func anEmptyVoiceIdPicksTheFirstVoice() async throws {
        let harness = try await start()
        let reader = try await harness.client.synthesize("abc", voice: "")
        #expect(await reader.readToEnd(timeout: .seconds(5)))
        #expect(reader.content.samples.count == Self.engine.frames(for: "abc"))
        await harness.stop()
    }

    @Test(.privateBus, arguments: [(3.0, 1.0), (-0.1, 1.0), (Double.nan, 1.0), (1.0, 0.0), (1.0, 11.0), (1.0, Double.infinity)])
    func pitchAndRateOutOfRangeAreRefused(pitch: Double, rate: Double) async throws {
        let harness = try await start()
        let error = await dbusError { _ = try await harness.client.synthesize("text", voice: "tone:default", pitch: pitch, rate: rate) }
        expectError(error, "InvalidArgument", mentioning: pitch == 1 ? "rate" : "pitch")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func aMalformedLanguageAndWrongArgumentTypesAreRefused() async throws {
        let harness = try await start()
        let language = await dbusError { _ = try await harness.client.synthesize("text", voice: "tone:default", language: "en US!") }
        expectError(language, "InvalidArgument", mentioning: "BCP 47")
        let types = await dbusError {
            try await harness.client.synthesize(arguments: [.string("text"), .string("tone:default")])
        }
        expectError(types, "InvalidArgument", mentioning: "pipe_fd")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func textOverOneMebibyteIsRefused() async throws {
        let harness = try await start()
        let huge = String(repeating: "a", count: (1 << 20) + 1)
        let error = await dbusError { _ = try await harness.client.synthesize(huge, voice: "tone:default", timeout: .seconds(30)) }
        expectError(error, "InvalidArgument", mentioning: "1 MiB")
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func aMebibyteOfTextStartsAtOnceAndStopsWhenClosed() async throws {
        let harness = try await start()
        var text = ""
        let sentence = "Herald reads text aloud, sentence by sentence. "
        while text.utf8.count + sentence.utf8.count <= 1 << 20 { text += sentence }
        let asked = ContinuousClock.now
        let reader = try await harness.client.synthesize(text, voice: "tone:default", timeout: .seconds(30))
        let replied = ContinuousClock.now - asked
        await reader.read(atLeast: 8192, timeout: .seconds(20))
        let firstAudio = ContinuousClock.now - asked
        reader.close()
        let stopped = try #require(await harness.waitUntilIdle(timeout: .seconds(5)))
        print("Spiel 1 MiB: reply after \(replied), first 8 KiB after \(firstAudio), stopped \(stopped) after the close")
        #expect(stopped < .seconds(1).timingScaled)
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func requestsBeyondTheLimitAreBusyUntilOneEnds() async throws {
        let harness = try await start()
        let long = String(repeating: "a long text that fills the pipe ", count: 2000)
        var stalled: [SpielPipeReader] = []
        for _ in 0..<SpielProvider.maxRequests {
            stalled.append(try await harness.client.synthesize(long, voice: "tone:default"))
        }
        #expect(harness.provider.activeRequests == SpielProvider.maxRequests)
        let error = await dbusError { _ = try await harness.client.synthesize("one more", voice: "tone:default") }
        expectError(error, "Busy", mentioning: "retry")
        for reader in stalled { reader.close() }
        #expect(await harness.waitUntilIdle(timeout: .seconds(5)) != nil)
        try await expectStillServing(harness)
        await harness.stop()
    }

    @Test(.privateBus) func chunksAtAnotherRateAreResampledToTheAdvertisedRate() async throws {
        // The voice is advertised at 16 kHz but the engine yields 8 kHz, as when a chain falls back.
        let harness = try await ProviderHarness.start(
            engine: Self.engine, engines: [ToneEngine(name: "tone", format: AudioFormat(sampleRate: 16000))])
        #expect(try await harness.client.voices().first?.rate == 16000)
        let reader = try await harness.client.synthesize("twelve chars", voice: "tone:default")
        #expect(await reader.readToEnd(timeout: .seconds(5)))
        #expect(reader.content.samples.count == 2 * Self.engine.frames(for: "twelve chars"))
        await harness.stop()
    }

    @Test(.privateBus) func anEngineFailureEndsTheStreamCleanly() async throws {
        let failing = ToneEngine(name: "tone", format: AudioFormat(sampleRate: 8000), failWord: "explode")
        let harness = try await ProviderHarness.start(engine: failing)
        let reader = try await harness.client.synthesize("First sentence here. Then explode.", voice: "tone:default")
        #expect(await reader.readToEnd(timeout: .seconds(5)), "the pipe was not closed after the failure")
        #expect(reader.content.malformed == nil && !reader.content.truncated)
        #expect(harness.logs.all.contains { $0.level == .warning && $0.message.contains("engine failed") })
        #expect(!harness.logs.all.contains { $0.level > .debug && $0.message.contains("explode") })
        await harness.stop()
    }
}
