import HeraldCore
import Testing

/// STOP, CANCEL, PAUSE and RESUME by scope, and clients leaving
/// (docs/priorities.md, "Stop, cancel, pause and resume").
struct QueueCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rule: String
        let script: [Step]
        var played: [String] = []
        var canceled: [String] = []
        var paused: [String] = []
        var resumed: [String] = []
        var testDescription: String { rule }
    }

    static let commands: [Case] = [
        Case(
            rule: "stop self ends the speaking message only; the queue goes on",
            script: [.arrive("m1", .message), .arrive("m2", .message), .stop(.client("a"))],
            played: ["m1", "m2"], canceled: ["m1"]),
        Case(
            rule: "stop of another client's scope leaves the speaking message alone",
            script: [.arrive("m1", .message), .stop(.client("b"))],
            played: ["m1"]),
        Case(
            rule: "cancel self ends the speaking message and drops its queue",
            script: [
                .arrive("m1", .message), .arrive("m2", .message), .arrive("m3", .message, client: "b"),
                .cancel(.client("a")),
            ],
            played: ["m1", "m3"], canceled: ["m1", "m2"]),
        Case(
            rule: "cancel all drops every client's messages",
            script: [.arrive("m1", .message), .arrive("m2", .message, client: "b"), .cancel(.all)],
            played: ["m1"], canceled: ["m1", "m2"]),
        Case(
            rule: "cancel by id drops that message only",
            script: [.arrive("m1", .message), .arrive("m2", .message), .arrive("m3", .message), .cancel(.message("m2"))],
            played: ["m1", "m3"], canceled: ["m2"]),
        Case(
            rule: "pause suspends the speaking message; resume continues it",
            script: [.arrive("m1", .message), .pause(.client("a")), .resume(.client("a"))],
            played: ["m1"], paused: ["m1"], resumed: ["m1"]),
        Case(
            rule: "a paused client's messages wait while other clients speak",
            script: [
                .arrive("m1", .message), .pause(.client("a")), .arrive("m2", .message, client: "b"), .finish,
                .arrive("m3", .message), .resume(.client("a")),
            ],
            played: ["m1", "m2", "m3"], paused: ["m1"], resumed: ["m1"]),
        Case(
            rule: "after resume, the resumed message is spoken before newer ones of its client",
            script: [.arrive("m1", .message), .pause(.all), .arrive("m2", .message), .resume(.all)],
            played: ["m1", "m2"], paused: ["m1"], resumed: ["m1"]),
        Case(
            rule: "progress and notification that arrived during a pause are dropped on resume",
            script: [
                .pause(.all), .arrive("n1", .notification), .resume(.all), .arrive("p1", .progress),
            ],
            played: ["p1"], canceled: ["n1"]),
        Case(
            rule: "text that arrived during a pause is kept on resume",
            script: [.pause(.client("a")), .arrive("t1", .text), .resume(.client("a"))],
            played: ["t1"]),
        Case(
            rule: "pause all holds clients that arrive later too",
            script: [.pause(.all), .arrive("m1", .message, client: "b"), .arrive("m2", .message, client: "c")],
            played: []),
        Case(
            rule: "cancel drops a suspended message",
            script: [.arrive("m1", .message), .pause(.all), .cancel(.all), .resume(.all)],
            played: ["m1"], canceled: ["m1"], paused: ["m1"]),
        Case(
            rule: "a client leaving cancels its messages and lifts its pause",
            script: [
                .arrive("m1", .message), .arrive("m2", .message), .arrive("m3", .message, client: "b"),
                .leave("a"),
            ],
            played: ["m1", "m3"], canceled: ["m1", "m2"]),
        Case(
            rule: "an SSIP client leaving keeps its messages (Speech Dispatcher's way) and lifts its pause",
            script: [
                .pause(.client("a")), .arrive("m1", .message), .arrive("m2", .message), .leave("a", keepingMessages: true),
            ],
            played: ["m1", "m2"]),
        Case(
            rule: "a failed message is reported and the queue moves on",
            script: [.arrive("m1", .message), .arrive("m2", .message), .fail],
            played: ["m1", "m2"]),
        Case(
            rule: "stop while nothing speaks does nothing",
            script: [.stop(.all), .cancel(.all), .arrive("m1", .message)],
            played: ["m1"]),
    ]

    @Test(arguments: commands)
    func command(_ rule: Case) {
        var run = ScriptRun()
        run.perform(rule.script)
        run.playToEnd()
        #expect(run.played == rule.played, "played")
        #expect(run.canceled == rule.canceled, "canceled")
        #expect(run.paused == rule.paused, "paused")
        #expect(run.resumed == rule.resumed, "resumed")
    }

    @Test func everyMessageEndsExactlyOnce() {
        var run = ScriptRun()
        run.perform([
            .arrive("i1", .important), .arrive("m1", .message), .arrive("t1", .text), .arrive("n1", .notification),
            .arrive("p1", .progress), .pause(.all), .arrive("t2", .text, client: "b"), .resume(.all), .fail,
            .arrive("p2", .progress), .stop(.all), .arrive("m2", .message, client: "b"), .leave("a"),
        ])
        run.playToEnd()
        var endings: [UtteranceID: Int] = [:]
        for event in run.events {
            switch event.kind {
            case .ended, .canceled, .failed: endings[event.id, default: 0] += 1
            default: break
            }
        }
        #expect(endings.count == 8)
        #expect(endings.values.allSatisfy { $0 == 1 })
    }

    @Test func eventsForOneMessageComeInOrder() {
        var state = SchedulerState()
        let client = ClientID("a")
        var events: [SpeechEventKind] = []
        func record(_ actions: [SchedulerState.Action]) {
            for case .emit(let event) in actions { events.append(event.kind) }
        }
        record(state.enqueue(Utterance(id: 7, client: client, priority: .message, content: .text("x"))).1)
        record(state.playbackStarted(7))
        record(state.reachedMark(7, name: "w1"))
        record(state.pause(.client(client)))
        record(state.resume(.client(client)))
        record(state.reachedMark(7, name: "w2"))
        record(state.playbackEnded(7))
        record(state.playbackEnded(7))
        #expect(events == [.began, .indexMark("w1"), .paused, .resumed, .indexMark("w2"), .ended])
    }
}
