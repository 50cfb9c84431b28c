import Foundation
import Glibc
import HeraldDBus
import HeraldTesting
import Testing

/// `herald speak --file F --resume`: a reading canceled part-way goes on from
/// the sentence it reached, the positions file holds no text, a changed file
/// starts over with a note, and `herald positions --forget` clears it.
@Suite(.serialized, .privatePulseAudio)
struct ResumeTests {
    static let words = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    /// Sentences longer than the cache's 48 characters, so each reaches the (fake) service and its log.
    static let text = words.map {
        "\($0) opens this paragraph with a sentence of some length. \($0) closes it again, with more words than the cache keeps."
    }.joined(separator: "\n\n")

    @Test func aCanceledReadingResumesAtTheSentenceItReached() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(
            name: "resume", paced: true, config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]))
        let file = try daemon.folder.write("chapter.txt", Self.text)
        let client = try await daemon.connect()
        let signals = try await client.signalLog()

        async let first = herald(["speak", "--file", file, "--wait"], environment: daemon.environment, timeout: .seconds(90))
        // Cancel once the third paragraph's second sentence is heard.
        var reached = false
        let deadline = ContinuousClock.now + .seconds(60).timingScaled
        while !reached, ContinuousClock.now < deadline {
            reached = signals.all.contains { $0.member == "IndexMark" && $0.detail == "b2.1" }
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(reached, "the reading never reached b2.1: \(signals.all)\n\(daemon.log)")
        #expect(try await herald(["cancel"], environment: daemon.environment).status == 0)
        let canceled = try await first
        #expect(canceled.status == 1 && canceled.errorOutput.contains("canceled"), "\(canceled)")

        // Kept privately, and holding no word of the text nor the file's name.
        let state = daemon.folder.url.appendingPathComponent("state/herald").path
        let stored = try String(contentsOfFile: state + "/positions.json", encoding: .utf8)
        #expect(!Self.words.contains { stored.contains($0) } && !stored.contains("chapter"), "\(stored)")
        #expect(try mode(state) == 0o700 && mode(state + "/positions.json") == 0o600)

        let before = fake.socketMessages.count
        async let resumed = herald(["speak", "--file", file, "--resume"], environment: daemon.environment, timeout: .seconds(90))
        let started = ContinuousClock.now + .seconds(30).timingScaled
        while !fake.socketMessages.dropFirst(before).contains(where: { $0.contains("\"Speak\"") }), ContinuousClock.now < started {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await herald(["cancel"], environment: daemon.environment).status == 0)
        let second = try await resumed
        #expect(second.errorOutput.contains("resuming chapter.txt at part 3 of 6, sentence 2"), "\(second)")
        let sent = fake.socketMessages.dropFirst(before).joined(separator: "\n")
        #expect(sent.contains("Charlie closes it again"), "\(sent)")
        #expect(!sent.contains("Charlie opens") && !sent.contains("Alpha") && !sent.contains("Bravo"), "\(sent)")

        // The file changed: it is read from the start, and says so.
        try (Self.text + "\n\nGolf ends it.").write(toFile: file, atomically: true, encoding: .utf8)
        let changedBefore = fake.socketMessages.count
        async let changed = herald(["speak", "--file", file, "--resume"], environment: daemon.environment, timeout: .seconds(90))
        let changedStart = ContinuousClock.now + .seconds(30).timingScaled
        // (The resumed reading's next sentence, asked for ahead, may still reach the service: wait for Alpha.)
        while !fake.socketMessages.dropFirst(changedBefore).contains(where: { $0.contains("Alpha opens") }), ContinuousClock.now < changedStart {
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = try await herald(["cancel"], environment: daemon.environment)
        let restarted = try await changed
        #expect(restarted.errorOutput.contains("changed since it was last read; reading it from the start"), "\(restarted)")
        #expect(fake.socketMessages.dropFirst(changedBefore).contains { $0.contains("Alpha opens") }, "\(fake.socketMessages)")

        let forgot = try await herald(["positions", "--forget"], environment: daemon.environment)
        #expect(forgot.status == 0 && !FileManager.default.fileExists(atPath: state + "/positions.json"), "\(forgot)")
        await client.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    private func mode(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(info.st_mode & 0o777)
    }
}
