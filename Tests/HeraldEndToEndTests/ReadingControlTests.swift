import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// A person moving in a long reading, and a client following it: D-Bus
/// `Skip` by sentence and paragraph (playing, paused, past the end, refused),
/// `Range` and `SentenceRange` in the text as sent, on espeak-ng and on the
/// fake cloud voice, and `herald next`, `previous` and `repeat`.
@Suite(.serialized, .privatePulseAudio)
struct ReadingControlTests {
    /// Three paragraphs of two sentences, every word distinct enough to find.
    static let text = """
        Alpha one opens the first paragraph here. Alpha two closes the first paragraph.

        Bravo one opens the second paragraph here. Bravo two closes the second paragraph.

        Charlie one opens the third paragraph here. Charlie two closes the third paragraph.
        """
    static let sentences = ["Alpha one", "Alpha two", "Bravo one", "Bravo two", "Charlie one", "Charlie two"]

    /// The sentence index a SentenceRange span starts, by its first words.
    static func sentence(_ span: Range<Int>, in text: String = text) -> Int? {
        let scalars = Array(text.unicodeScalars)
        guard span.upperBound <= scalars.count else { return nil }
        let said = String(String.UnicodeScalarView(scalars[span]))
        return sentences.firstIndex { said.hasPrefix($0) }
    }

    static func words(_ spans: [Range<Int>], in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return spans.map { $0.upperBound <= scalars.count ? String(String.UnicodeScalarView(scalars[$0])) : "?" }
    }

    /// Waits for the next sentence to begin and returns which one it is.
    static func nextSentence(_ signals: SpeechSignalLog, _ id: UInt64, after count: inout Int) async -> Int? {
        guard await signals.wait(for: id, "SentenceRange", beyond: count, timeout: .seconds(20)) else { return nil }
        let spans = signals.spans("SentenceRange", of: id)
        count = spans.count
        return spans.last.flatMap { sentence($0) }
    }

    @Test func movingBySentenceAndParagraphOnEspeak() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "skip-espeak", paced: true)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak(Self.text, "text")
        var seen = 0
        #expect(await Self.nextSentence(signals, id, after: &seen) == 0, "\(signals.all)")

        // Two ahead: what would have come next is passed over.
        var asked = ContinuousClock.now
        try await client.call("Skip", [.uint64(id), .int32(2), .string("sentence")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 2, "\(signals.sequence(for: id))")
        print("Skip → the new sentence's first word heard: \(ContinuousClock.now - asked)")
        // Back one, then twice quickly back: each counts from where the last went.
        try await client.call("Skip", [.uint64(0), .int32(-1), .string("sentence")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 1)
        try await client.call("Skip", [.uint64(id), .int32(-1), .string("sentence")])
        try await client.call("Skip", [.uint64(id), .int32(-1), .string("sentence")])
        let landed = await Self.nextSentence(signals, id, after: &seen)
        // The first of the two may have been heard begin before the second came.
        #expect(landed == 0 || (landed == 0 || landed == 1), "\(signals.sequence(for: id))")
        if landed == 1 { #expect(await Self.nextSentence(signals, id, after: &seen) == 0) }

        // By paragraph: the third, then the current one again from its start.
        try await client.call("Skip", [.uint64(id), .int32(2), .string("paragraph")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 4)
        try await client.call("Skip", [.uint64(id), .int32(0), .string("paragraph")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 4)

        // Paused, it moves and stays paused; resumed, it speaks the new place.
        try await client.call("Pause", [.string("self")])
        #expect(await signals.wait(for: id, ["Paused"], timeout: .seconds(5)) != nil)
        try await client.call("Skip", [.uint64(id), .int32(1), .string("sentence")])
        try await Task.sleep(for: .milliseconds(400))
        #expect(signals.spans("SentenceRange", of: id).count == seen, "a paused message spoke after a move")
        #expect(try await client.status()["state"]?.string == "paused")
        try await client.call("Resume", [.string("self")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 5, "\(signals.sequence(for: id))")

        // Past the end: the reading ends as heard to its end.
        asked = ContinuousClock.now
        try await client.call("Skip", [.uint64(id), .int32(1), .string("sentence")])
        let end = await signals.waitForEnd(of: id, timeout: .seconds(5))
        #expect(end?.member == "Ended", "\(signals.sequence(for: id))")
        print("Skip past the end → Ended: \(ContinuousClock.now - asked)")
        let ranges = signals.all.filter { $0.id == id }.map(\.member)
        #expect(ranges.first == "Began" && ranges.last == "Ended" && ranges.filter { $0 == "Began" }.count == 1)
        // Heard: audio, not silence.
        let wav = try daemon.capture.wav()
        #expect(wav.seconds > 0.1 && wav.rms() > 0.02, "\(wav.seconds) s")

        // Refusals name why and leave the daemon serving.
        expectHeraldError(await dbusError { try await client.call("Skip", [.uint64(id), .int32(1), .string("sentence")]) }, "NotSpeaking")
        expectHeraldError(await dbusError { try await client.call("Skip", [.uint64(0), .int32(1), .string("sentence")]) }, "NotSpeaking")
        expectHeraldError(
            await dbusError { try await client.call("Skip", [.uint64(id), .int32(1), .string("word")]) }, "InvalidArgument",
            mentioning: ["sentence", "paragraph"])
        let other = try await daemon.connect()
        let theirs = try await other.speak(Self.text, "text")
        #expect(await signals.wait(for: theirs, ["Began"], timeout: .seconds(10)) != nil)
        expectHeraldError(await dbusError { try await client.call("Skip", [.uint64(theirs), .int32(1), .string("sentence")]) }, "NotYours")
        try await other.call("Cancel", [.string("self")])
        let char = try await client.call("Char", [.string("a"), .string("important")]).first?.uint64 ?? 0
        #expect(await signals.wait(for: char, ["Began"], timeout: .seconds(10)) != nil)
        let refusal = await dbusError { try await client.call("Skip", [.uint64(char), .int32(1), .string("sentence")]) }
        // (The character may have ended before the call arrived.)
        #expect(refusal?.name == HeraldDaemonProcess.errorPrefix + "NotMovable" || refusal?.name == HeraldDaemonProcess.errorPrefix + "NotSpeaking")
        await other.close()
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// Every word is reported once, in order, at offsets into the text as
    /// sent: plain text, SSML (its text content), and words the lexicon
    /// replaced (the range covers what was replaced).
    @Test func rangesFollowTheWordsInTheTextAsSent() async throws {
        let folder = try RunFolder(name: "ranges-lexicon")
        let lexicon = try folder.write("lexicon.toml", "[[entry]]\nword = \"GNOME Shell\"\nsay = \"guh nome shell\"\n")
        let daemon = try await HeraldDaemonProcess.start(name: "ranges", config: "\n[text]\nlexicon = \"\(lexicon)\"\n")
        let client = try await daemon.connect()
        let signals = try await client.signalLog()

        let plain = "Héllo, GNOME Shell users!\n\nThe  second line ends."
        let first = try await client.speak(plain, "text")
        #expect(await signals.waitForEnd(of: first, timeout: .seconds(20))?.member == "Ended")
        #expect(Self.words(signals.spans("Range", of: first), in: plain) == ["Héllo,", "GNOME Shell", "users!", "The", "second", "line", "ends."])
        #expect(Self.words(signals.spans("SentenceRange", of: first), in: plain) == ["Héllo, GNOME Shell users!", "The  second line ends."])
        // Each sentence's range comes just before its first word's.
        let order = signals.all.filter { $0.id == first && ($0.member == "Range" || $0.member == "SentenceRange") }.map(\.member)
        #expect(order.prefix(2) == ["SentenceRange", "Range"], "\(order)")

        let ssml = "<speak><p>Tom &amp; <sub alias=\"Jerry\">J.</sub> ran.</p><p><mark name=\"m\"/>Fast <break time=\"100ms\"/>home.</p></speak>"
        let content = "Tom & J. ran.Fast home."
        let second = try await client.speak(ssml, "text", ["ssml": .bool(true)])
        #expect(await signals.waitForEnd(of: second, timeout: .seconds(20))?.member == "Ended")
        #expect(Self.words(signals.spans("Range", of: second), in: content) == ["Tom", "&", "J.", "ran.", "Fast", "home."])
        #expect(signals.sequence(for: second).contains("IndexMark(m)"))

        // A Russian quotation goes to a Russian voice, run by run; the words keep their places.
        let mixed = "She said «Привет, мир!» and left."
        let third = try await client.speak(mixed, "text")
        #expect(await signals.waitForEnd(of: third, timeout: .seconds(20))?.member == "Ended")
        #expect(Self.words(signals.spans("Range", of: third), in: mixed) == ["She", "said", "«Привет,", "мир!»", "and", "left."])

        // Turned off: no Range, no SentenceRange, and the message can still be moved in.
        let quiet = try await client.speak(plain, "text", ["ranges": .bool(false)])
        #expect(await signals.waitForEnd(of: quiet, timeout: .seconds(20))?.member == "Ended")
        #expect(!signals.all.contains { $0.id == quiet && ($0.member == "Range" || $0.member == "SentenceRange") })
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// The same on the cloud voice: a move sends the target sentence to the
    /// service next, and the estimated word ranges arrive in order; across a
    /// fallback to espeak-ng, moving and following go on.
    @Test func movingAndFollowingOnTheCloudVoice() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let config = HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"])
            .replacingOccurrences(of: "[cloudflare]\n", with: "[cloudflare]\nstall_timeout_ms = 300\n")
        let daemon = try await HeraldDaemonProcess.start(name: "skip-cloud", paced: true, config: config)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let id = try await client.speak(Self.text, "text")
        var seen = 0
        #expect(await Self.nextSentence(signals, id, after: &seen) == 0, "\(signals.all)\n\(daemon.log)")
        let before = fake.socketMessages.count
        let asked = ContinuousClock.now
        try await client.call("Skip", [.uint64(id), .int32(1), .string("paragraph")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 2, "\(signals.sequence(for: id))")
        print("cloud: Skip → the new sentence's first word heard: \(ContinuousClock.now - asked)")
        #expect(fake.socketMessages.dropFirst(before).contains { $0.contains("Bravo one opens") }, "\(fake.socketMessages)")
        // The service stalls from now on: the move still lands, and espeak-ng reads on from there.
        fake.inject(.stall)
        try await client.call("Skip", [.uint64(id), .int32(3), .string("sentence")])
        #expect(await Self.nextSentence(signals, id, after: &seen) == 5)
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(30))?.member == "Ended")
        #expect(daemon.log.contains("the rest goes to the next engine"), "\(daemon.log)")
        // The words heard: those of sentences 0 (a first part), 2 (a first part) and 5 (whole), in text order within each.
        let words = Self.words(signals.spans("Range", of: id), in: Self.text)
        let last = Array(words.suffix(6))
        #expect(last == ["Charlie", "two", "closes", "the", "third", "paragraph."], "\(words)")
        #expect(words.first == "Alpha")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    /// `herald next`, `previous` and `repeat` act on what herald started.
    @Test func heraldNextPreviousAndRepeat() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "skip-cli", paced: true)
        let file = try daemon.folder.write("chapter.txt", Self.text)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()
        let nothing = try await herald(["next"], environment: daemon.environment)
        #expect(nothing.status == 1 && nothing.errorOutput.contains("reading nothing"), "\(nothing)")

        #expect(try await herald(["speak", "--file", file], environment: daemon.environment).status == 0)
        #expect(await signals.wait(for: 1, "SentenceRange", beyond: 0, timeout: .seconds(20)))
        let id = try #require(signals.all.first { $0.member == "SentenceRange" }?.id)
        var seen = signals.spans("SentenceRange", of: id).count
        // The file goes as SSML, so the spans index its text content; the first words tell the sentence.
        func heard() async -> String? {
            guard await signals.wait(for: id, "SentenceRange", beyond: seen, timeout: .seconds(20)) else { return nil }
            let spans = signals.spans("SentenceRange", of: id)
            seen = spans.count
            return signals.all.last { $0.id == id && $0.member == "IndexMark" }?.detail
        }
        // Paragraph blocks are b0, b1, b2; a block's later sentences b1.1 and so on.
        #expect(try await herald(["next", "--paragraph"], environment: daemon.environment).status == 0)
        #expect(await heard() == "b1", "\(signals.sequence(for: id))")
        #expect(try await herald(["next"], environment: daemon.environment).status == 0)
        #expect(await heard() == "b1.1")
        #expect(try await herald(["previous"], environment: daemon.environment).status == 0)
        #expect(await heard() == "b1")
        #expect(try await herald(["repeat", "--paragraph"], environment: daemon.environment).status == 0)
        #expect(await heard() == "b1")
        #expect(try await herald(["next", "--paragraph"], environment: daemon.environment).status == 0)
        #expect(await heard() == "b2")
        #expect(try await herald(["next", "--paragraph"], environment: daemon.environment).status == 0)
        #expect(await signals.waitForEnd(of: id, timeout: .seconds(10))?.member == "Ended", "\(signals.sequence(for: id))")
        let ended = try await herald(["next"], environment: daemon.environment)
        #expect(ended.status == 1 && ended.errorOutput.contains("not speaking or paused"), "\(ended)")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
