import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// A person's lexicon from end to end: the cloud voice receives the words as
/// the lexicon says them, a reload reads an edited lexicon, a broken one is
/// refused with its line while the last good one stays, and `herald lexicon
/// test` prints what will be said.
@Suite struct LexiconEndToEndTests {
    static let lexicon = """
        [[entry]]
        word = "GNOME"
        say = "guh nome"

        [[entry]]
        regex = '\\bv(\\d+)\\.(\\d+)\\b'
        say = "version $1 point $2"
        """

    @Test func everyMessageIsSaidWithTheLexiconAndAReloadReadsItAgain() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let folder = try RunFolder(name: "lexicon-words")
        let lexiconPath = try folder.write("lexicon.toml", Self.lexicon)
        let daemon = try await HeraldDaemonProcess.start(
            name: "lexicon",
            config: "\n[text]\nlexicon = \"\(lexiconPath)\"\n\n"
                + HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]))

        let tested = try await herald(["lexicon", "test", "--config", daemon.configPath, "GNOME v3.2 is out."], environment: daemon.environment)
        #expect(tested.status == 0 && tested.output == "guh nome version 3 point 2 is out.\n", "\(tested)")

        let spoken = try await herald(["speak", "--wait", "GNOME v3.2 is out."], environment: daemon.environment)
        #expect(spoken.status == 0, "\(spoken)")
        #expect(fake.socketMessages.contains { $0.contains("guh nome version 3 point 2 is out.") }, "\(fake.socketMessages)")

        // Edited: the next message says it the new way.
        try Self.lexicon.replacingOccurrences(of: "guh nome", with: "gnome desktop").write(
            toFile: lexiconPath, atomically: true, encoding: .utf8)
        #expect(try await herald(["reload"], environment: daemon.environment).status == 0)
        _ = try await herald(["speak", "--wait", "GNOME again."], environment: daemon.environment)
        #expect(fake.socketMessages.contains { $0.contains("gnome desktop again.") }, "\(fake.socketMessages)")

        // Broken: refused with its line, and the last good lexicon stays in force.
        try (Self.lexicon + "\n\n[[entry]]\nregex = '(a+)+'\nsay = \"x\"\n").write(toFile: lexiconPath, atomically: true, encoding: .utf8)
        let refused = try await herald(["reload"], environment: daemon.environment)
        #expect(refused.status == 1 && refused.errorOutput.contains("\(lexiconPath):10"), "\(refused)")
        _ = try await herald(["speak", "--wait", "GNOME once more."], environment: daemon.environment)
        #expect(fake.socketMessages.contains { $0.contains("gnome desktop once more.") }, "\(fake.socketMessages)")
        let broken = try await herald(["lexicon", "test", "--config", daemon.configPath, "GNOME"], environment: daemon.environment)
        #expect(broken.status == 1 && broken.errorOutput.contains("exponential"), "\(broken)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
