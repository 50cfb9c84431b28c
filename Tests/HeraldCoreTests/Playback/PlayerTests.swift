import HeraldCore
import HeraldTesting
import Logging
import Testing

/// The scheduler driving the real player, with a tone engine and a recording
/// sink: what was heard, and the events clients saw, in order.
@Suite(.timingSensitive)
struct PlayerTests {
    let client = ClientID("test")

    func makeStack(realTime: Bool = false, engine: ToneEngine = ToneEngine()) -> (Scheduler, RecordingSink) {
        let sink = RecordingSink(realTime: realTime)
        let player = Player(
            engine: engine, sink: sink, preparer: TextPreparer(maxChunkCharacters: 200),
            logger: Logger(label: "test"))
        return (Scheduler(player: player, logger: Logger(label: "test")), sink)
    }

    /// Collects events until `done` says the list is complete, or 5 s pass.
    func collect(
        _ events: AsyncStream<SpeechEvent>, until done: @escaping @Sendable ([SpeechEvent]) -> Bool
    ) async -> [SpeechEvent] {
        await withTaskGroup(of: [SpeechEvent]?.self) { group in
            group.addTask {
                var seen: [SpeechEvent] = []
                for await event in events {
                    seen.append(event)
                    if done(seen) { break }
                }
                return seen
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first ?? []
        }
    }

    @Test func playsEveryChunkAndReportsMarksInOrder() async {
        let engine = ToneEngine()
        let (scheduler, sink) = makeStack(engine: engine)
        let events = await scheduler.events()
        let ssml = "<speak>One sentence here. <mark name=\"m1\"/>Another one follows. <mark name=\"m2\"/>End.</speak>"
        let (id, _) = await scheduler.speak(.ssml(ssml), priority: .message, client: client, settings: VoiceSettings())
        let seen = await collect(events) { $0.contains { $0.kind == .ended } }
        #expect(seen.map(\.kind) == [.began, .indexMark("m1"), .indexMark("m2"), .ended])
        #expect(seen.allSatisfy { $0.id == id })
        let spoken = TextPreparer(maxChunkCharacters: 200).chunks(for: .ssml(ssml), settings: VoiceSettings())
        let expected = spoken.reduce(0) { $0 + engine.frames(for: $1.plainText) }
        #expect(sink.samples.count >= expected, "every chunk was played")
    }

    /// An engine that answers whole (aura over POST, MeloTTS) gives seconds of
    /// audio in one chunk: began comes with its first audio, so a message a
    /// screen reader cancels 0.4 s later has begun, as it was heard.
    @Test func aLongFirstChunkBeginsWithItsFirstAudio() async throws {
        let (scheduler, _) = makeStack(realTime: true)
        let events = await scheduler.events()
        let start = ContinuousClock.now
        // One segment of 200 characters: one chunk of 2 s of tone.
        let (id, _) = await scheduler.speak(
            .text(String(repeating: "a", count: 200)), priority: .message, client: client, settings: VoiceSettings())
        let began = await collect(events) { $0.contains { $0.kind == .began } }
        let after = ContinuousClock.now - start
        print("a 2 s chunk: began after \(after)")
        #expect(began.last?.kind == .began && began.last?.id == id)
        #expect(after < .milliseconds(500).timingScaled, "began only once the whole chunk was in the device")
        await scheduler.cancel(.all)
    }

    @Test func stopSilencesAndTheNextMessagePlays() async throws {
        let (scheduler, sink) = makeStack(realTime: true)
        let events = await scheduler.events()
        let long = String(repeating: "word ", count: 200)
        let (first, _) = await scheduler.speak(.text(long), priority: .message, client: client, settings: VoiceSettings())
        let start = await collect(events) { $0.contains { $0.kind == .began } }
        try await Task.sleep(for: .milliseconds(200))
        await scheduler.stop(.all)
        let heardAtStop = sink.samples.count
        let (second, _) = await scheduler.speak(.text("next"), priority: .message, client: client, settings: VoiceSettings())
        let seen = start + (await collect(events) { $0.contains { $0.id == second && $0.kind == .ended } })
        #expect(seen.map(\.kind) == [.began, .canceled, .began, .ended])
        #expect(seen.map(\.id) == [first, first, second, second])
        let afterStop = sink.samples.count - heardAtStop
        let nextFrames = ToneEngine().frames(for: "next")
        #expect(afterStop <= nextFrames + 8000 / 50, "the stopped message went quiet within 20 ms")
        #expect(afterStop >= nextFrames, "the next message was heard")
    }

    /// Marks already heard are not told again after a resume, and marks of
    /// later chunks are all told: each chunk counts its own.
    @Test func aResumeTellsEveryLaterMarkOnce() async throws {
        let (scheduler, _) = makeStack(realTime: true)
        let events = await scheduler.events()
        let ssml = "<speak>First sentence is here. <mark name=\"a\"/>Second sentence is here. <mark name=\"b\"/>"
            + "Third sentence is here. <mark name=\"c\"/>Fourth sentence is here.</speak>"
        _ = await scheduler.speak(.ssml(ssml), priority: .message, client: client, settings: VoiceSettings())
        let start = await collect(events) { $0.contains { $0.kind == .indexMark("b") } }
        try await Task.sleep(for: .milliseconds(60))
        await scheduler.pause(.client(client))
        try await Task.sleep(for: .milliseconds(50))
        await scheduler.resume(.client(client))
        let seen = start + (await collect(events) { $0.contains { $0.kind == .ended } })
        #expect(seen.map(\.kind) == [.began, .indexMark("a"), .indexMark("b"), .paused, .resumed, .indexMark("c"), .ended])
    }

    /// A move plays the target sentence at once, a paused message moves and
    /// stays paused, and moving past the end ends it as heard to its end.
    @Test func skipMovesBySentenceAndPastTheEndEnds() async throws {
        let (scheduler, sink) = makeStack(realTime: true)
        let events = await scheduler.events()
        let text = "First sentence is here. Second sentence is here. Third sentence is here. Fourth one."
        let (id, _) = await scheduler.speak(.text(text), priority: .message, client: client, settings: VoiceSettings(), places: .words)
        @Sendable func sentences(_ events: [SpeechEvent]) -> [String] {
            events.compactMap { event in
                guard case .sentence(let range) = event.kind else { return nil }
                return String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(range.start).prefix(5)))
            }
        }
        _ = await collect(events) { sentences($0) == ["First"] }
        try await scheduler.skip(nil, count: 2, unit: .sentence, caller: client, mayControl: { _ in false })
        #expect(sentences(await collect(events) { !sentences($0).isEmpty }) == ["Third"])
        await scheduler.pause(.client(client))
        let paused = sink.samples.count
        try await scheduler.skip(id, count: -2, unit: .sentence, caller: client, mayControl: { _ in false })
        try await Task.sleep(for: .milliseconds(100))
        #expect(sink.samples.count == paused, "a paused message played after a move")
        await scheduler.resume(.client(client))
        #expect(sentences(await collect(events) { !sentences($0).isEmpty }) == ["First"])
        try await scheduler.skip(id, count: 5, unit: .sentence, caller: client, mayControl: { _ in false })
        let end = await collect(events) { $0.contains { $0.kind == .ended } }
        #expect(end.last?.kind == .ended)
        await #expect(throws: SkipRefusal.notFound(id)) {
            try await scheduler.skip(id, count: 1, unit: .sentence, caller: client, mayControl: { _ in false })
        }
    }

    @Test func pauseAndResumeLoseNothing() async throws {
        let engine = ToneEngine()
        let (scheduler, sink) = makeStack(realTime: true, engine: engine)
        let events = await scheduler.events()
        let text = String(repeating: "abc ", count: 20)
        _ = await scheduler.speak(.text(text), priority: .message, client: client, settings: VoiceSettings())
        let start = await collect(events) { $0.contains { $0.kind == .began } }
        try await Task.sleep(for: .milliseconds(150))
        await scheduler.pause(.client(client))
        try await Task.sleep(for: .milliseconds(100))
        let heardWhilePaused = sink.samples.count
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.samples.count == heardWhilePaused, "nothing plays while paused")
        await scheduler.resume(.client(client))
        let seen = start + (await collect(events) { $0.contains { $0.kind == .ended } })
        #expect(seen.map(\.kind) == [.began, .paused, .resumed, .ended])
        let full = TextPreparer(maxChunkCharacters: 200).chunks(for: .text(text), settings: VoiceSettings())
            .reduce(0) { $0 + engine.frames(for: $1.plainText) }
        #expect(sink.samples.count >= full, "everything was heard")
        #expect(sink.samples.count <= full + 8000 * 40 / 1000, "at most the device buffer was repeated")
    }

    @Test func engineFailureFailsThatMessageAndTheQueueMovesOn() async {
        let (scheduler, _) = makeStack(engine: ToneEngine(failWord: "broken"))
        let events = await scheduler.events()
        let (bad, _) = await scheduler.speak(.text("a broken one"), priority: .message, client: client, settings: VoiceSettings())
        let (good, _) = await scheduler.speak(.text("a good one"), priority: .message, client: client, settings: VoiceSettings())
        let seen = await collect(events) { $0.contains { $0.id == good && $0.kind == .ended } }
        guard case .failed(let reason) = seen.first(where: { $0.id == bad })?.kind else {
            Issue.record("the broken message did not fail: \(seen)")
            return
        }
        #expect(reason.contains("tone"), "the reason names the engine")
        #expect(!reason.contains("broken"), "the reason never quotes the text")
        #expect(seen.filter { $0.id == good }.map(\.kind) == [.began, .ended])
    }

    @Test func cancelingASuspendedMessageLeavesTheSpeakingOneAlone() async throws {
        let (scheduler, sink) = makeStack(realTime: true)
        let events = await scheduler.events()
        let a = ClientID("a")
        let b = ClientID("b")
        let (first, _) = await scheduler.speak(.text(String(repeating: "abc ", count: 30)), priority: .message, client: a, settings: VoiceSettings())
        let start = await collect(events) { $0.contains { $0.id == first && $0.kind == .began } }
        await scheduler.pause(.client(a))
        let (second, _) = await scheduler.speak(.text("second voice"), priority: .message, client: b, settings: VoiceSettings())
        try await Task.sleep(for: .milliseconds(50))
        let stopsBefore = sink.stopCount
        await scheduler.cancel(.client(a))
        #expect(sink.stopCount == stopsBefore, "the device was not silenced for a message it does not hold")
        let seen = start + (await collect(events) { $0.contains { $0.id == second && $0.kind == .ended } })
        #expect(seen.filter { $0.id == first }.map(\.kind) == [.began, .paused, .canceled])
        #expect(seen.filter { $0.id == second }.map(\.kind) == [.began, .ended])
    }
}
