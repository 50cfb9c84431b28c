import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// A Russian quotation inside English text, with an English cloud voice first
/// in the chain: the cloud voice reads the English, espeak-ng's Russian voice
/// the Russian, even when the message named the English voice; with
/// `[text] detect_script = false` the English voice reads it all.
@Suite struct ScriptRoutingTests {
    static let text = "The word Привет means hello."

    @Test func aQuotationInAnotherScriptGoesToAVoiceThatReadsIt() async throws {
        let fake = try await FakeWorkersAI.start()
        defer { Task { await fake.stop() } }
        let daemon = try await HeraldDaemonProcess.start(
            name: "script", config: HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]))
        let spoken = try await herald(
            ["speak", "--wait", "--voice", "@cf/deepgram/aura-2-en:luna", Self.text], environment: daemon.environment)
        #expect(spoken.status == 0, "\(spoken)\n\(daemon.log)")
        let said = fake.socketMessages.joined(separator: "\n")
        #expect(said.contains("The word"), "\(said)")
        #expect(said.contains("means hello."), "\(said)")
        #expect(!said.contains("Привет"), "the English voice read the Russian: \(said)")

        try daemon.rewriteConfig(
            "[audio]\ndevice = \"\(daemon.capture.name)\"\n\n[text]\ndetect_script = false\n\n"
                + HeraldDaemonProcess.cloudConfig(fake, models: ["@cf/deepgram/aura-2-en", "espeak-ng"]))
        #expect(try await herald(["reload"], environment: daemon.environment).status == 0)
        let whole = try await herald(["speak", "--wait", Self.text], environment: daemon.environment)
        #expect(whole.status == 0, "\(whole)")
        #expect(fake.socketMessages.contains { $0.contains(Self.text) }, "\(fake.socketMessages)")
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
