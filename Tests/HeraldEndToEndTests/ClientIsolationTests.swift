import Foundation
import HeraldDBus
import HeraldTesting
import Testing

/// "self" is the calling bus connection: one client's Cancel never reaches
/// another's messages, a client that leaves takes its messages with it, and
/// a client that vanishes in the middle of a call harms nobody. Played on the
/// paced device so that queued messages stay queued while the test acts.
@Suite(.serialized, .privatePulseAudio)
struct ClientIsolationTests {
    @Test func cancelSelfCancelsOnlyTheCallersMessages() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "self", paced: true)
        let a = try await daemon.connect()
        let b = try await daemon.connect()
        let signals = try await b.signalLog()

        let a1 = try await a.speak(SampleText.long, "message")
        try #require(await signals.wait(for: a1, ["Began"], timeout: .seconds(10)) != nil, "\(signals.all)\n\(daemon.log)")
        let b1 = try await b.speak("Bee one.", "message")
        let a2 = try await a.speak(SampleText.paragraph, "message")
        let b2 = try await b.speak("Bee two.", "message")

        let canceled = ContinuousClock.now
        try await a.call("Cancel", [.string("self")])
        for id in [a1, a2] {
            let end = await signals.waitForEnd(of: id, timeout: .seconds(5))
            #expect(end?.member == "Canceled", "A's \(id): \(signals.sequence(for: id))")
        }
        for id in [b1, b2] {
            let end = await signals.waitForEnd(of: id, timeout: .seconds(20))
            #expect(end?.member == "Ended", "B's \(id): \(signals.sequence(for: id))")
            #expect(signals.sequence(for: id) == ["Began", "Ended"])
        }
        print(
            "Cancel(self): A's canceled after \(signals.first(a1, ["Canceled"]).map { $0.at - canceled }.map(String.init(describing:)) ?? "-"), "
                + "B's first began after \(signals.first(b1, ["Began"]).map { $0.at - canceled }.map(String.init(describing:)) ?? "-")")
        // A's messages never began again after the cancel.
        #expect(signals.sequence(for: a2).filter { $0 == "Began" }.isEmpty)

        // B's Cancel("self") with nothing of B's queued leaves A's new message alone.
        let a3 = try await a.speak(SampleText.short, "message")
        try await b.call("Cancel", [.string("self")])
        #expect(await signals.waitForEnd(of: a3, timeout: .seconds(20))?.member == "Ended", "\(signals.sequence(for: a3))")
        await a.close()
        await b.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func aClientThatLeavesTakesItsMessagesWithIt() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "leaves", paced: true)
        let a = try await daemon.connect()
        let b = try await daemon.connect()
        let signals = try await b.signalLog()

        let speaking = try await a.speak(SampleText.long, "message")
        try #require(await signals.wait(for: speaking, ["Began"], timeout: .seconds(10)) != nil, "\(daemon.log)")
        var queued: [UInt64] = []
        for text in ["One.", "Two.", SampleText.paragraph] { queued.append(try await a.speak(text, "message")) }
        let b1 = try await b.speak("Bee one.", "message")

        let left = ContinuousClock.now
        await a.close()
        for id in [speaking] + queued {
            let end = await signals.waitForEnd(of: id, timeout: .seconds(5))
            #expect(end?.member == "Canceled", "A's \(id) after A left: \(signals.sequence(for: id))")
        }
        let end = await signals.waitForEnd(of: b1, timeout: .seconds(20))
        #expect(end?.member == "Ended", "B's \(b1): \(signals.sequence(for: b1))")
        print(
            "client left: its speaking message canceled after "
                + "\(signals.first(speaking, ["Canceled"]).map { $0.at - left }.map(String.init(describing:)) ?? "-"), "
                + "B's began after \(signals.first(b1, ["Began"]).map { $0.at - left }.map(String.init(describing:)) ?? "-")")
        #expect(try await b.status()["state"]?.string == "idle")
        await b.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test func aClientThatVanishesMidCallHarmsNobody() async throws {
        let daemon = try await HeraldDaemonProcess.start(name: "vanish", paced: true)
        let b = try await daemon.connect()
        let signals = try await b.signalLog()
        let b1 = try await b.speak(SampleText.paragraph, "message")
        try #require(await signals.wait(for: b1, ["Began"], timeout: .seconds(10)) != nil, "\(daemon.log)")

        // Clients that send Speak and are gone before the reply: their messages
        // (long ones, which would hold B up for minutes) must go with them.
        for round in 0..<10 {
            let a = try await daemon.connect()
            let call = Task { try await a.speak(SampleText.long, "message") }
            if round % 2 == 1 { await Task.yield() }
            await a.close()
            _ = await call.result
        }
        // And a separate process killed right after sending: dbus-send without
        // --print-reply sends and exits without waiting.
        let sender = try await runCommand(
            try ChildProcess.find("dbus-send"),
            [
                "--bus=\(daemon.bus.address)", "--dest=\(HeraldDaemonProcess.busName)", HeraldDaemonProcess.objectPath,
                "\(HeraldDaemonProcess.interface).Char", "string:a", "string:message",
            ], timeout: .seconds(10))
        #expect(sender?.status == 0, "\(sender.map(String.init(describing:)) ?? "dbus-send missing")")

        let b2 = try await b.speak("Bee two.", "message")
        #expect(await signals.waitForEnd(of: b1, timeout: .seconds(30))?.member == "Ended", "\(signals.sequence(for: b1))")
        let end = await signals.waitForEnd(of: b2, timeout: .seconds(10))
        #expect(
            end?.member == "Ended",
            "B's second message did not end within 10 s of B's first: messages of vanished clients are kept. Signals: \(signals.all)")
        #expect(daemon.process.isRunning)
        let status = try await b.status()
        print("after vanished clients: \(status); signals for others: \(signals.all.filter { ![b1, b2].contains($0.id) })")
        await b.close()
        #expect(await daemon.stop() == 0, "\(daemon.log)")
    }
}
