import Foundation
import HeraldCore
import HeraldTesting
import Testing

/// What Orca 43.1 was seen to send (the `setup` below and say-all's SSML), replayed over a raw
/// connection against a paced device, with the events say-all depends on.
@Suite(.serialized, .privatePulseAudio)
struct OrcaReplayTests {
    static let setup = [
        "SET self CLIENT_NAME unknown:Orca:default", "HISTORY GET CLIENT_ID",
        "SET self NOTIFICATION index_marks on", "SET self NOTIFICATION begin on", "SET self NOTIFICATION end on",
        "SET self NOTIFICATION cancel on", "SET self NOTIFICATION pause on", "SET self NOTIFICATION resume on",
        "SET self PRIORITY message", "SET self PUNCTUATION most", "SET self SSML_MODE on",
        "SET self CAP_LET_RECOGN none", "SET self PUNCTUATION none",
    ]
    static let perUtterance = [
        "CANCEL self", "SET self RATE 2", "SET self PITCH 10", "SET self VOLUME 100", "SET self LANGUAGE en",
        "SET self LANGUAGE en-US",
    ]

    @Test func sayAllEventsHealthCheckAndCancel() async throws {
        try await SSIPTestServer.with(paced: true) { server in
            let orca = try server.connect()
            for line in Self.setup {
                let reply = try await orca.command(line)
                #expect(reply.last?.hasPrefix("2") == true, "\(line) → \(reply)")
            }
            for line in Self.perUtterance { _ = try await orca.command(line) }
            let greeting = """
                <speak><mark name="0:6"/>Screen <mark name="7:13"/>reader <mark name="14:17"/>on.</speak>
                """
            let id = try await orca.speak(greeting)

            // The health check on a second connection while Orca's speech plays.
            let probe = try server.connect()
            let asked = ContinuousClock.now
            let answer = try await probe.command("GET OUTPUT_MODULE", timeout: .seconds(2))
            let answeredIn = ContinuousClock.now - asked
            #expect(answer == ["251-\(server.pipeline.engineName)", "251 OK GET RETURNED"])
            #expect(answeredIn < .seconds(2).timingScaled)

            _ = try await orca.waitForEvent(702, id: id, timeout: .seconds(20))
            let mine = orca.events.filter { $0.first?.dropFirst(4) == "\(id)" }
            let summary = mine.map { event in
                event.count == 4 ? "mark \(event[2].dropFirst(4))" : String(event.last!.dropFirst(4))
            }
            #expect(summary == ["BEGIN", "mark 0:6", "mark 7:13", "mark 14:17", "END"], "\(summary)")

            // A typed character.
            _ = try await orca.command("CANCEL self")
            let char = try await orca.command("CHAR h")
            #expect(char.last == "225 OK MESSAGE QUEUED")

            // Say-all of a long text, interrupted by a keypress (CANCEL self) after a few words.
            let (ssml, marks) = LongText.marked(LongText.paragraph)
            for line in Self.perUtterance { _ = try await orca.command(line) }
            let sayAll = try await orca.speak(ssml)
            _ = try await orca.waitForEvent(700, id: sayAll, timeout: .seconds(15))
            while orca.events.filter({ $0.first == "700-\(sayAll)" }).count < 3 {
                guard let event = try await orca.readMessage(timeout: .seconds(10)) else { break }
                orca.appendEvent(event)
            }
            let cancelAt = ContinuousClock.now
            let reply = try await orca.command("CANCEL self")
            let replyIn = ContinuousClock.now - cancelAt
            _ = try await orca.waitForEvent(703, id: sayAll, timeout: .seconds(2))
            let canceledIn = ContinuousClock.now - cancelAt
            print(
                "Orca replay: GET OUTPUT_MODULE answered in \(answeredIn) while speaking; CANCEL self → 213 in \(replyIn), → 703 in \(canceledIn)"
            )
            #expect(reply == ["213 OK CANCELED"])
            #expect(canceledIn < .milliseconds(100).timingScaled)
            let heard = orca.events.filter { $0.first == "700-\(sayAll)" }.map { String($0[2].dropFirst(4)) }
            #expect(Array(marks.prefix(heard.count)) == heard, "marks out of order: \(heard)")
            orca.close()  // Orca leaves without QUIT.
            let deadline = ContinuousClock.now + .seconds(2)
            while server.service.connectionCount > 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(server.service.connectionCount == 1)
            #expect(try await probe.command("GET OUTPUT_MODULE").count == 2)
        }
    }
}
