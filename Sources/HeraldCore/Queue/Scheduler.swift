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
        _ content: UtteranceContent, priority: Priority, client: ClientID, settings: VoiceSettings
    ) -> (id: UtteranceID, arrival: SchedulerState.Arrival) {
        let id = nextID
        nextID += 1
        let utterance = Utterance(id: id, client: client, priority: priority, content: content, settings: settings)
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
