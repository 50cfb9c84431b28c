import HeraldCore
import Testing

/// The five priorities of docs/priorities.md, one table row per rule.
///
/// A script is a list of steps; `play` lists what started speaking, in order
/// (after the script, everything left is played to its end), and `canceled`
/// what the rules dropped, in order.
struct PriorityRulesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rule: String
        let script: [Step]
        let played: [String]
        let canceled: [String]
        var testDescription: String { rule }
    }

    static let rules: [Case] = [
        // important
        Case(
            rule: "important interrupts a speaking message of any other priority",
            script: [.arrive("t1", .text), .arrive("i1", .important)],
            played: ["t1", "i1"], canceled: ["t1"]),
        Case(
            rule: "important is never interrupted and speaks in arrival order",
            script: [.arrive("i1", .important), .arrive("i2", .important), .arrive("m1", .message)],
            played: ["i1", "i2", "m1"], canceled: []),
        Case(
            rule: "important: queued message and text wait until no important is waiting",
            script: [.arrive("i1", .important), .arrive("m1", .message), .arrive("i2", .important)],
            played: ["i1", "i2", "m1"], canceled: []),
        Case(
            rule: "important cancels queued notification and progress",
            script: [
                .arrive("i1", .important), .arrive("n1", .notification), .arrive("i2", .important),
            ],
            played: ["i1", "i2"], canceled: ["n1"]),
        Case(
            rule: "important cancels a speaking notification",
            script: [.arrive("n1", .notification), .arrive("i1", .important)],
            played: ["n1", "i1"], canceled: ["n1"]),
        // message
        Case(
            rule: "message waits while important is waiting or speaking",
            script: [.arrive("i1", .important), .arrive("m1", .message)],
            played: ["i1", "m1"], canceled: []),
        Case(
            rule: "message does not interrupt message",
            script: [.arrive("m1", .message), .arrive("m2", .message)],
            played: ["m1", "m2"], canceled: []),
        Case(
            rule: "message cancels speaking text",
            script: [.arrive("t1", .text), .arrive("m1", .message)],
            played: ["t1", "m1"], canceled: ["t1"]),
        Case(
            rule: "message cancels waiting text, notification and progress",
            script: [
                .arrive("i1", .important), .arrive("t1", .text), .arrive("m1", .message),
            ],
            played: ["i1", "m1"], canceled: ["t1"]),
        Case(
            rule: "message cancels speaking progress",
            script: [.arrive("p1", .progress), .arrive("m1", .message)],
            played: ["p1", "m1"], canceled: ["p1"]),
        // text
        Case(
            rule: "text waits for important",
            script: [.arrive("i1", .important), .arrive("t1", .text)],
            played: ["i1", "t1"], canceled: []),
        Case(
            rule: "text waits for message",
            script: [.arrive("m1", .message), .arrive("t1", .text), .arrive("m2", .message)],
            played: ["m1", "m2"], canceled: ["t1"]),
        Case(
            rule: "text interrupts text: only the newest is spoken",
            script: [.arrive("t1", .text), .arrive("t2", .text), .arrive("t3", .text)],
            played: ["t1", "t2", "t3"], canceled: ["t1", "t2"]),
        Case(
            rule: "text cancels waiting texts too",
            script: [.arrive("m1", .message), .arrive("t1", .text), .arrive("t2", .text)],
            played: ["m1", "t2"], canceled: ["t1"]),
        Case(
            rule: "text cancels speaking notification",
            script: [.arrive("n1", .notification), .arrive("t1", .text)],
            played: ["n1", "t1"], canceled: ["n1"]),
        Case(
            rule: "text cancels speaking progress",
            script: [.arrive("p1", .progress), .arrive("t1", .text)],
            played: ["p1", "t1"], canceled: ["p1"]),
        // notification
        Case(
            rule: "notification is canceled when important speaks",
            script: [.arrive("i1", .important), .arrive("n1", .notification)],
            played: ["i1"], canceled: ["n1"]),
        Case(
            rule: "notification is canceled when message speaks",
            script: [.arrive("m1", .message), .arrive("n1", .notification)],
            played: ["m1"], canceled: ["n1"]),
        Case(
            rule: "notification is canceled when text is waiting",
            script: [.arrive("m1", .message), .arrive("t1", .text), .arrive("n1", .notification)],
            played: ["m1", "t1"], canceled: ["n1"]),
        Case(
            rule: "notification is canceled when progress speaks",
            script: [.arrive("p1", .progress), .arrive("n1", .notification)],
            played: ["p1"], canceled: ["n1"]),
        Case(
            rule: "notification interrupts notification",
            script: [.arrive("n1", .notification), .arrive("n2", .notification)],
            played: ["n1", "n2"], canceled: ["n1"]),
        Case(
            rule: "notification speaks when nothing else is present",
            script: [.arrive("n1", .notification), .finish, .arrive("n2", .notification)],
            played: ["n1", "n2"], canceled: []),
        // progress
        Case(
            rule: "progress is canceled when important, message or text is waiting",
            script: [.arrive("i1", .important), .arrive("m1", .message), .arrive("p1", .progress)],
            played: ["i1", "m1"], canceled: ["p1"]),
        Case(
            rule: "a progress arriving while another progress speaks waits as the last of the series",
            script: [.arrive("p1", .progress), .arrive("p2", .progress), .arrive("p3", .progress)],
            played: ["p1", "p3"], canceled: ["p2"]),
        Case(
            rule: "the last progress of a series is spoken after the message that was speaking",
            script: [.arrive("m1", .message), .arrive("p1", .progress)],
            played: ["m1", "p1"], canceled: []),
        Case(
            rule: "the last progress is spoken at message priority: text does not cancel it",
            script: [.arrive("p1", .progress), .arrive("p2", .progress), .finish, .arrive("t1", .text)],
            played: ["p1", "p2", "t1"], canceled: []),
        Case(
            rule: "progress cancels a speaking notification",
            script: [.arrive("n1", .notification), .finish, .arrive("n2", .notification), .arrive("p1", .progress)],
            played: ["n1", "n2", "p1"], canceled: ["n2"]),
        Case(
            rule: "progress cancels waiting notifications when nothing speaks",
            script: [.pause(.client("b")), .arrive("n1", .notification, client: "b"), .arrive("p1", .progress)],
            played: ["p1"], canceled: ["n1"]),
    ]

    @Test(arguments: rules)
    func rule(_ rule: Case) {
        var run = ScriptRun()
        run.perform(rule.script)
        run.playToEnd()
        #expect(run.played == rule.played, "played")
        #expect(run.canceled == rule.canceled, "canceled")
    }

    @Test func notificationArrivingCanceledIsReportedAsSuch() {
        var state = SchedulerState()
        _ = state.enqueue(Utterance(id: 1, client: ClientID("a"), priority: .message, content: .text("m")))
        let (arrival, actions) = state.enqueue(
            Utterance(id: 2, client: ClientID("a"), priority: .notification, content: .text("n")))
        #expect(arrival == .canceled)
        #expect(actions == [.emit(SpeechEvent(id: 2, client: ClientID("a"), kind: .canceled))])
    }
}
