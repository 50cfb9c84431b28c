internal import HeraldCore
internal import NIOCore
internal import HeraldSystem

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
    }

    private let state = Locked(State())

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

    /// Sends `event` to the client if it asked for that kind. The player
    /// guarantees BEGIN comes before a message's INDEX MARKs, as SSIP clients
    /// (Orca's say-all) expect.
    func deliver(_ event: SpeechEvent) {
        let flags = state.withLock { state -> NotificationSet in
            let flags = state.messageFlags[event.id] ?? state.settings.notifications
            switch event.kind {
            case .ended, .canceled, .failed:
                if state.messageFlags.removeValue(forKey: event.id) == nil, state.queueing {
                    state.finishedWhileQueueing.insert(event.id)
                }
            default: break
            }
            return flags
        }
        if let text = SSIPEventText.format(event, clientNumber: number, enabled: flags) {
            outbox.event(text)
        }
    }

    /// Ends the connection from the server side (shutdown).
    func close() { channel.close(promise: nil) }
}
