public import Logging

/// The one owner of the speech queue. Front ends call it; it applies the
/// priority rules (`SchedulerState`), drives playback and publishes events to
/// every subscriber in one order.
public actor Scheduler {
    /// What `status()` reports: enough for `herald status` and D-Bus `GetStatus`.
    public struct Status: Sendable, Equatable {
        public enum State: String, Sendable { case idle, speaking, paused }
        public let state: State
        public let queued: Int
        public let speaking: UtteranceID?
    }

    private var state = SchedulerState()
    private var nextID: UtteranceID = 1
    private let player: any PlaybackDriver
    private let logger: Logger
    private var subscribers: [Int: AsyncStream<SpeechEvent>.Continuation] = [:]
    private var nextSubscriber = 0

    public init(player: any PlaybackDriver, logger: Logger) {
        self.player = player
        self.logger = logger
    }

    /// Queues a message under the priority rules; the id is returned even when
    /// the rules cancel it on arrival, so the client can match the event.
    public func speak(
        _ content: UtteranceContent, priority: Priority, client: ClientID, settings: VoiceSettings,
        places: PlaceMarking = .none
    ) -> (id: UtteranceID, arrival: SchedulerState.Arrival) {
        let id = nextID
        nextID += 1
        let utterance = Utterance(id: id, client: client, priority: priority, content: content, settings: settings, places: places)
        logger.debug(
            "queued", metadata: ["herald.utterance.id": "\(id)", "herald.priority": "\(priority)", "herald.client": "\(client)"])
        let (arrival, actions) = state.enqueue(utterance)
        perform(actions)
        return (id, arrival)
    }

    public func stop(_ scope: Scope) { perform(state.stop(scope)) }
    public func cancel(_ scope: Scope) { perform(state.cancel(scope)) }
    public func pause(_ scope: Scope) { perform(state.pause(scope)) }
    public func resume(_ scope: Scope) { perform(state.resume(scope)) }

    /// Moves in the speaking or paused message `id` (nil: the caller's) by
    /// `count` sentences or paragraphs (`PlaybackDriver.skip`). A caller may
    /// move in its own messages and in those `mayControl` allows (a named
    /// client's, which any connection may control by name).
    public func skip(
        _ id: UtteranceID?, count: Int, unit: SkipUnit, caller: ClientID, mayControl: (ClientID) -> Bool
    ) throws(SkipRefusal) {
        guard let utterance = state.movable(id, caller: caller) else {
            if let id, state.isWaiting(id) { throw .notBegun(id) }
            throw id.map { .notFound($0) } ?? .nothingSpeaking
        }
        guard utterance.client == caller || mayControl(utterance.client) else { throw .foreign(utterance.id) }
        switch player.skip(utterance.id, count: count, unit: unit) {
        case .moved: return
        case .pastEnd: perform(state.endByMoving(utterance.id))
        case .notMovable: throw .notMovable(utterance.id)
        case .unknown: throw .notFound(utterance.id)
        }
    }

    /// Forgets a departed client's pause and, unless `keepingMessages`, its messages.
    public func clientLeft(_ client: ClientID, keepingMessages: Bool = false) {
        perform(state.clientLeft(client, keepingMessages: keepingMessages))
    }

    public func status() -> Status {
        let word: Status.State = state.isSpeaking ? .speaking : (state.isPaused ? .paused : .idle)
        return Status(state: word, queued: state.queuedCount, speaking: state.current?.id)
    }

    /// Every event from now on, in order, until the stream is dropped.
    public func events() -> AsyncStream<SpeechEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SpeechEvent.self, bufferingPolicy: .unbounded)
        let key = nextSubscriber
        nextSubscriber += 1
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(key) }
        }
        return stream
    }

    /// Silences everything and finishes the event streams; for shutdown.
    public func shutDown() {
        perform(state.cancel(.all))
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
    }

    private func unsubscribe(_ key: Int) { subscribers[key] = nil }

    private func handle(_ report: PlaybackReport) {
        switch report {
        case .started(let id): perform(state.playbackStarted(id))
        case .mark(let id, let name): perform(state.reachedMark(id, name: name))
        case .place(let id, let kind): perform(state.reachedPlace(id, kind))
        case .ended(let id): perform(state.playbackEnded(id))
        case .failed(let id, let reason): perform(state.playbackFailed(id, reason: reason))
        }
    }

    private func perform(_ actions: [SchedulerState.Action]) {
        for action in actions {
            switch action {
            case .play(let utterance):
                player.start(utterance) { [weak self] report in await self?.handle(report) }
            case .stop(let id): player.stop(id)
            case .pause(let id): player.pause(id)
            case .resume(let id): player.resume(id)
            case .emit(let event):
                logger.trace("event", metadata: ["herald.utterance.id": "\(event.id)", "herald.event": "\(event.kind)"])
                for continuation in subscribers.values { continuation.yield(event) }
            }
        }
    }
}

/// Why a move (`Scheduler.skip`) was refused; the message says what to do.
public enum SkipRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Id 0 and the caller has nothing speaking or paused.
    case nothingSpeaking
    case notFound(UtteranceID)
    case notBegun(UtteranceID)
    case foreign(UtteranceID)
    case notMovable(UtteranceID)

    public var description: String {
        switch self {
        case .nothingSpeaking: "Nothing of yours is speaking or paused; give the id of the message to move in."
        case .notFound(let id): "Message \(id) is not speaking or paused: it has ended, was canceled, or never existed."
        case .notBegun(let id): "Message \(id) is still queued; moving works once it has begun."
        case .foreign(let id): "Message \(id) belongs to another client; only its sender can move in it."
        case .notMovable(let id):
            "Message \(id) has no sentences to move by: it is a character, a key or spelled text."
        }
    }
}
