import HeraldCore

/// A step of a scheduler script, in the words of docs/priorities.md.
enum Step: Sendable {
    case arrive(String, Priority, client: String = "a")
    /// The speaking message plays to its end.
    case finish
    /// The speaking message fails.
    case fail
    case stop(ScriptScope)
    case cancel(ScriptScope)
    case pause(ScriptScope)
    case resume(ScriptScope)
    case leave(String, keepingMessages: Bool = false)
}

enum ScriptScope: Sendable {
    case all
    case client(String)
    case message(String)
}

/// Runs a script against `SchedulerState`, recording what was played and what
/// was canceled by label, and checking the events make sense on the way.
struct ScriptRun {
    var state = SchedulerState()
    var played: [String] = []
    var resumed: [String] = []
    var paused: [String] = []
    var canceled: [String] = []
    var ended: [String] = []
    var failed: [String] = []
    var events: [SpeechEvent] = []
    private var labels: [UtteranceID: String] = [:]
    private var ids: [String: UtteranceID] = [:]
    private var nextID: UtteranceID = 1

    mutating func perform(_ script: [Step]) {
        for step in script { perform(step) }
    }

    mutating func perform(_ step: Step) {
        switch step {
        case .arrive(let label, let priority, let client):
            let id = nextID
            nextID += 1
            labels[id] = label
            ids[label] = id
            let utterance = Utterance(id: id, client: ClientID(client), priority: priority, content: .text(label))
            record(state.enqueue(utterance).1)
        case .finish:
            guard let current = state.current else { return }
            record(state.playbackStarted(current.id))
            record(state.playbackEnded(current.id))
        case .fail:
            guard let current = state.current else { return }
            record(state.playbackFailed(current.id, reason: "test"))
        case .stop(let scope): record(state.stop(resolve(scope)))
        case .cancel(let scope): record(state.cancel(resolve(scope)))
        case .pause(let scope): record(state.pause(resolve(scope)))
        case .resume(let scope): record(state.resume(resolve(scope)))
        case .leave(let client, let keeping): record(state.clientLeft(ClientID(client), keepingMessages: keeping))
        }
    }

    /// Lets every remaining message play to its end.
    mutating func playToEnd() {
        var guardCount = 0
        while state.current != nil, guardCount < 1000 {
            perform(.finish)
            guardCount += 1
        }
    }

    private func resolve(_ scope: ScriptScope) -> Scope {
        switch scope {
        case .all: .all
        case .client(let client): .client(ClientID(client))
        case .message(let label): .message(ids[label] ?? 0)
        }
    }

    private mutating func record(_ actions: [SchedulerState.Action]) {
        for action in actions {
            switch action {
            case .play(let utterance): played.append(labels[utterance.id]!)
            case .resume(let id): resumed.append(labels[id]!)
            case .stop, .pause: break
            case .emit(let event):
                events.append(event)
                let label = labels[event.id]!
                switch event.kind {
                case .canceled: canceled.append(label)
                case .paused: paused.append(label)
                case .ended: ended.append(label)
                case .failed: failed.append(label)
                case .began, .resumed, .indexMark, .word, .sentence: break
                }
            }
        }
    }
}
