internal import HeraldCore
internal import NIOCore
internal import Synchronization

/// One SSIP connection as the rest of the server sees it: its ids, its
/// settings (which `SET all` and `SET <id>` from other connections change
/// too), and the events for its messages.
final class Session: Sendable {
    /// The numeric id clients see (`HISTORY GET CLIENT_ID`, event lines,
    /// `SET <id>`, `CANCEL <id>`); unique for the life of the service.
    let number: Int
    /// The scheduler's key for this connection's messages and `self` scope.
    let clientID: ClientID
    let outbox: Outbox
    private let channel: any Channel

    private struct State {
        var settings = SessionSettings()
        /// The notification flags each queued message was sent with:
        /// Speech Dispatcher applies the flags in force at SPEAK time.
        var messageFlags: [UtteranceID: NotificationSet] = [:]
        /// True while this connection waits for the scheduler to accept a
        /// message, whose final event may overtake the id coming back.
        var queueing = false
        var finishedWhileQueueing: Set<UtteranceID> = []
        /// Messages whose BEGIN was seen, and marks that came before it.
        var begun: Set<UtteranceID> = []
        var earlyMarks: [UtteranceID: [SpeechEvent]] = [:]
    }

    /// Marks held back per message until its BEGIN; more are dropped.
    static let earlyMarkLimit = 4096

    private let state = Mutex(State())

    init(number: Int, channel: any Channel, outboundLimit: Int) {
        self.number = number
        self.clientID = ClientID("ssip:\(number)")
        self.channel = channel
        self.outbox = Outbox(limit: outboundLimit) { [channel] in channel.close(promise: nil) }
    }

    var settings: SessionSettings { state.withLock { $0.settings } }

    func update<R>(_ body: (inout SessionSettings) -> R) -> R {
        state.withLock { body(&$0.settings) }
    }

    /// Call before handing a message to the scheduler; returns what to pass.
    func willQueue() -> SessionSettings {
        state.withLock {
            $0.queueing = true
            return $0.settings
        }
    }

    /// Call with what the scheduler answered.
    func didQueue(_ id: UtteranceID, arrival: SchedulerState.Arrival, flags: NotificationSet) {
        state.withLock {
            $0.queueing = false
            let finished = $0.finishedWhileQueueing.contains(id)
            $0.finishedWhileQueueing = []
            // A message canceled on arrival already had its final event.
            if arrival == .queued, !finished { $0.messageFlags[id] = flags }
        }
    }

    /// Sends `event` to the client if it asked for that kind.
    ///
    /// SSIP clients expect BEGIN before any INDEX MARK of a message (ssip.info
    /// 4.7.2; Orca's say-all treats BEGIN as started); the player reports a
    /// mark that precedes the first audio before that audio reaches the
    /// device, so such marks wait here for the BEGIN.
    func deliver(_ event: SpeechEvent) {
        let (flags, events) = state.withLock { state -> (NotificationSet, [SpeechEvent]) in
            let flags = state.messageFlags[event.id] ?? state.settings.notifications
            var events = [event]
            switch event.kind {
            case .began:
                state.begun.insert(event.id)
                events += state.earlyMarks.removeValue(forKey: event.id) ?? []
            case .indexMark where !state.begun.contains(event.id):
                if state.earlyMarks[event.id, default: []].count < Self.earlyMarkLimit {
                    state.earlyMarks[event.id, default: []].append(event)
                }
                events = []
            case .ended, .canceled, .failed:
                state.begun.remove(event.id)
                state.earlyMarks[event.id] = nil
                if state.messageFlags.removeValue(forKey: event.id) == nil, state.queueing {
                    state.finishedWhileQueueing.insert(event.id)
                }
            default: break
            }
            return (flags, events)
        }
        for event in events {
            guard let text = SSIPEventText.format(event, clientNumber: number, enabled: flags) else { continue }
            outbox.event(text)
        }
    }

    /// Ends the connection from the server side (shutdown).
    func close() { channel.close(promise: nil) }
}
