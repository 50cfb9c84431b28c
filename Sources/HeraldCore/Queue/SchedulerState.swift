/// The speech queue as a pure state machine: arrivals and playback reports in,
/// actions out. It does no I/O and keeps no time, so every rule of
/// docs/priorities.md is a table-driven unit test.
///
/// Speech Dispatcher's rules are event-driven (they depend on what is waiting
/// and what is speaking, never on how long), so no clock is needed here.
public struct SchedulerState: Sendable {
    /// What the owner of the state must do, in order.
    public enum Action: Sendable, Equatable {
        /// Start synthesising and playing a message.
        case play(Utterance)
        /// Halt a message's playback and discard it (speaking or suspended).
        case stop(UtteranceID)
        /// Suspend a speaking message, keeping its place so it can go on later.
        case pause(UtteranceID)
        /// Continue a suspended message where it paused.
        case resume(UtteranceID)
        /// Tell clients.
        case emit(SpeechEvent)
    }

    /// Whether an arriving message was queued or canceled on arrival (SSIP
    /// answers both `225` with the id, and the canceled one's `703` follows).
    public enum Arrival: Sendable, Equatable {
        case queued
        case canceled
    }

    /// A waiting message. `suspended` ones were speaking when paused and
    /// resume rather than start again.
    struct Entry: Sendable {
        var utterance: Utterance
        var arrivedWhilePaused: Bool
        var suspended: Bool
    }

    private(set) public var current: Utterance?
    private var currentBegan = false
    private var waiting: [Entry] = []
    /// The newest progress message that arrived while something spoke: the
    /// last of a series, spoken at message priority once the speaker is free.
    private var lastProgress: Utterance?
    private var pause = PauseSet()

    public init() {}

    /// Messages waiting to be spoken (suspended ones included).
    public var queuedCount: Int { waiting.count + (lastProgress == nil ? 0 : 1) }

    /// True while a message is being played (not paused).
    public var isSpeaking: Bool { current != nil }

    /// True when a message was suspended mid-speech by a pause.
    public var isPaused: Bool { waiting.contains { $0.suspended } }

    // MARK: Arrivals

    /// Applies the priority rules to a newly arrived message.
    public mutating func enqueue(_ utterance: Utterance) -> (Arrival, [Action]) {
        var actions: [Action] = []
        switch utterance.priority {
        case .important:
            if let current, current.priority != .important { stopCurrent(into: &actions) }
            cancelWaiting(where: { [.notification, .progress].contains($0.priority) }, into: &actions)
        case .message:
            if let current, [.text, .notification, .progress].contains(current.priority) {
                stopCurrent(into: &actions)
            }
            cancelWaiting(where: { [.text, .notification, .progress].contains($0.priority) }, into: &actions)
        case .text:
            if let current, [.text, .notification, .progress].contains(current.priority) {
                stopCurrent(into: &actions)
            }
            cancelWaiting(where: { [.text, .notification, .progress].contains($0.priority) }, into: &actions)
        case .notification:
            let outranked: Set<Priority> = [.important, .message, .text, .progress]
            if isPresent(where: { outranked.contains($0.priority) }) || lastProgress != nil {
                return (.canceled, [.emit(event(utterance, .canceled))])
            }
            if current?.priority == .notification { stopCurrent(into: &actions) }
            cancelWaiting(where: { $0.priority == .notification }, into: &actions)
        case .progress:
            let outranked: Set<Priority> = [.important, .message, .text]
            if waiting.contains(where: { outranked.contains($0.utterance.priority) }) {
                return (.canceled, [.emit(event(utterance, .canceled))])
            }
            if current?.priority == .notification { stopCurrent(into: &actions) }
            if current != nil {
                if let older = lastProgress { actions.append(.emit(event(older, .canceled))) }
                lastProgress = utterance
                return (.queued, actions)
            }
            cancelWaiting(where: { $0.priority == .notification }, into: &actions)
        }
        waiting.append(Entry(utterance: utterance, arrivedWhilePaused: pause.holds(utterance), suspended: false))
        advance(into: &actions)
        return (.queued, actions)
    }

    // MARK: Commands

    /// Ends the speaking message if it is in `scope`; what waits is kept.
    public mutating func stop(_ scope: Scope) -> [Action] {
        var actions: [Action] = []
        if let current, scope.contains(current) { stopCurrent(into: &actions) }
        advance(into: &actions)
        return actions
    }

    /// Ends the speaking message and drops every waiting one, in `scope`.
    public mutating func cancel(_ scope: Scope) -> [Action] {
        var actions: [Action] = []
        if let current, scope.contains(current) { stopCurrent(into: &actions) }
        cancelWaiting(where: scope.contains, into: &actions)
        advance(into: &actions)
        return actions
    }

    /// Holds the messages in `scope`: the speaking one is suspended where it is,
    /// waiting ones are kept; other clients' messages go on.
    public mutating func pause(_ scope: Scope) -> [Action] {
        var actions: [Action] = []
        pause.add(scope)
        if let current, pause.holds(current) {
            actions.append(.pause(current.id))
            actions.append(.emit(event(current, .paused)))
            waiting.insert(Entry(utterance: current, arrivedWhilePaused: false, suspended: true), at: 0)
            self.current = nil
        }
        advance(into: &actions)
        return actions
    }

    /// Lifts a pause. Progress and notification messages that arrived during
    /// it are dropped: they would be stale.
    public mutating func resume(_ scope: Scope) -> [Action] {
        var actions: [Action] = []
        let before = waiting.map { pause.holds($0.utterance) }
        pause.remove(scope)
        var stale: [Int] = []
        for (index, entry) in waiting.enumerated() where before[index] && !pause.holds(entry.utterance) {
            if entry.arrivedWhilePaused, [.notification, .progress].contains(entry.utterance.priority) {
                stale.append(index)
            }
        }
        for index in stale.reversed() {
            let entry = waiting.remove(at: index)
            discard(entry, into: &actions)
        }
        advance(into: &actions)
        return actions
    }

    /// A client left (closed its connection or left the bus). Its pause is
    /// lifted either way; its messages go unless `keepingMessages`, which is
    /// Speech Dispatcher's way: `spd-say text` and Orca's "Screen reader off."
    /// are queued by clients that disconnect at once.
    public mutating func clientLeft(_ client: ClientID, keepingMessages: Bool = false) -> [Action] {
        if keepingMessages {
            return resume(.client(client))
        }
        pause.forget(client)
        return cancel(.client(client))
    }

    // MARK: Playback reports

    /// The first audio of the speaking message reached the device.
    public mutating func playbackStarted(_ id: UtteranceID) -> [Action] {
        guard let current, current.id == id, !currentBegan else { return [] }
        currentBegan = true
        return [.emit(event(current, .began))]
    }

    /// Playback reached an index mark.
    public mutating func reachedMark(_ id: UtteranceID, name: String) -> [Action] {
        guard let current, current.id == id else { return [] }
        return [.emit(event(current, .indexMark(name)))]
    }

    /// Playback reached a word or a sentence (`SpeechEventKind.word`, `.sentence`).
    public mutating func reachedPlace(_ id: UtteranceID, _ kind: SpeechEventKind) -> [Action] {
        guard let current, current.id == id else { return [] }
        return [.emit(event(current, kind))]
    }

    /// The message a client may move in (`Skip`): `id`, or with nil the
    /// caller's speaking or paused message; nil when there is none.
    public func movable(_ id: UtteranceID?, caller: ClientID) -> Utterance? {
        if let current, id.map({ $0 == current.id }) ?? (current.client == caller) { return current }
        return waiting.first { entry in entry.suspended && (id.map { $0 == entry.utterance.id } ?? (entry.utterance.client == caller)) }?
            .utterance
    }

    /// Ends a message that a move took past its last sentence, as if it had
    /// been heard to its end; it may be speaking or paused.
    public mutating func endByMoving(_ id: UtteranceID) -> [Action] {
        if current?.id == id { return [.stop(id)] + finish(id, with: .ended) }
        guard let index = waiting.firstIndex(where: { $0.suspended && $0.utterance.id == id }) else { return [] }
        let entry = waiting.remove(at: index)
        var actions: [Action] = [.stop(id), .emit(event(entry.utterance, .ended))]
        advance(into: &actions)
        return actions
    }

    /// Whether `id` is waiting to be spoken, not yet begun.
    public func isWaiting(_ id: UtteranceID) -> Bool {
        waiting.contains { $0.utterance.id == id && !$0.suspended } || lastProgress?.id == id
    }

    /// The speaking message was heard to its end.
    public mutating func playbackEnded(_ id: UtteranceID) -> [Action] {
        finish(id, with: .ended)
    }

    /// The speaking message could not be synthesised or played.
    public mutating func playbackFailed(_ id: UtteranceID, reason: String) -> [Action] {
        finish(id, with: .failed(reason: reason))
    }

    // MARK: Internals

    private mutating func finish(_ id: UtteranceID, with kind: SpeechEventKind) -> [Action] {
        guard let current, current.id == id else { return [] }
        var actions: [Action] = []
        if !currentBegan, kind == .ended { actions.append(.emit(event(current, .began))) }
        actions.append(.emit(event(current, kind)))
        self.current = nil
        currentBegan = false
        advance(into: &actions)
        return actions
    }

    /// Starts the best eligible message when nothing speaks: important first,
    /// then message, text, notification, progress; suspended before new;
    /// otherwise in arrival order.
    private mutating func advance(into actions: inout [Action]) {
        guard current == nil else { return }
        if let progress = lastProgress {
            lastProgress = nil
            let promoted = Utterance(
                id: progress.id, client: progress.client, priority: .message,
                content: progress.content, settings: progress.settings, places: progress.places)
            waiting.append(Entry(utterance: promoted, arrivedWhilePaused: pause.holds(promoted), suspended: false))
        }
        var best: (index: Int, rank: Int)?
        for (index, entry) in waiting.enumerated() where !pause.holds(entry.utterance) {
            let rank = entry.utterance.priority.rank * 2 + (entry.suspended ? 0 : 1)
            if best == nil || rank < best!.rank { best = (index, rank) }
        }
        guard let best else { return }
        let entry = waiting.remove(at: best.index)
        current = entry.utterance
        if entry.suspended {
            currentBegan = true
            actions.append(.resume(entry.utterance.id))
            actions.append(.emit(event(entry.utterance, .resumed)))
        } else {
            currentBegan = false
            actions.append(.play(entry.utterance))
        }
    }

    private mutating func stopCurrent(into actions: inout [Action]) {
        guard let current else { return }
        actions.append(.stop(current.id))
        actions.append(.emit(event(current, .canceled)))
        self.current = nil
        currentBegan = false
    }

    private mutating func cancelWaiting(where shouldCancel: (Utterance) -> Bool, into actions: inout [Action]) {
        var kept: [Entry] = []
        for entry in waiting {
            if shouldCancel(entry.utterance) { discard(entry, into: &actions) } else { kept.append(entry) }
        }
        waiting = kept
        if let progress = lastProgress, shouldCancel(progress) {
            actions.append(.emit(event(progress, .canceled)))
            lastProgress = nil
        }
    }

    private func discard(_ entry: Entry, into actions: inout [Action]) {
        if entry.suspended { actions.append(.stop(entry.utterance.id)) }
        actions.append(.emit(event(entry.utterance, .canceled)))
    }

    /// True if a message matching `predicate` is speaking or waiting.
    private func isPresent(where predicate: (Utterance) -> Bool) -> Bool {
        if let current, predicate(current) { return true }
        return waiting.contains { predicate($0.utterance) }
    }

    private func event(_ utterance: Utterance, _ kind: SpeechEventKind) -> SpeechEvent {
        SpeechEvent(id: utterance.id, client: utterance.client, kind: kind)
    }
}

/// Who is paused. `PAUSE all` also holds clients that connect later, until `RESUME all`.
struct PauseSet: Sendable {
    private var all = false
    private var clients: Set<ClientID> = []
    private var messages: Set<UtteranceID> = []

    func holds(_ utterance: Utterance) -> Bool {
        all || clients.contains(utterance.client) || messages.contains(utterance.id)
    }

    mutating func add(_ scope: Scope) {
        switch scope {
        case .all: all = true
        case .client(let client): clients.insert(client)
        case .message(let id): messages.insert(id)
        }
    }

    mutating func remove(_ scope: Scope) {
        switch scope {
        case .all: self = PauseSet()
        case .client(let client): clients.remove(client)
        case .message(let id): messages.remove(id)
        }
    }

    mutating func forget(_ client: ClientID) { clients.remove(client) }
}
