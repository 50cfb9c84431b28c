internal import HeraldCore
internal import HeraldSystem

/// Every open SSIP connection, by numeric id and by scheduler client id:
/// events are routed through it, and `SET all`/`SET <id>` reach other
/// connections through it.
final class SessionRegistry: Sendable {
    private struct State {
        var nextNumber = 1
        var byNumber: [Int: Session] = [:]
        var byClient: [ClientID: Session] = [:]
    }

    private let state = Locked(State())

    /// The next numeric client id; never reused while the service runs.
    func allocateNumber() -> Int {
        state.withLock { state in
            defer { state.nextNumber += 1 }
            return state.nextNumber
        }
    }

    func add(_ session: Session) {
        state.withLock {
            $0.byNumber[session.number] = session
            $0.byClient[session.clientID] = session
        }
    }

    func remove(_ session: Session) {
        state.withLock {
            $0.byNumber[session.number] = nil
            $0.byClient[session.clientID] = nil
        }
    }

    func session(number: Int) -> Session? { state.withLock { $0.byNumber[number] } }
    func session(for client: ClientID) -> Session? { state.withLock { $0.byClient[client] } }
    var all: [Session] { state.withLock { Array($0.byNumber.values) } }
    var count: Int { state.withLock { $0.byNumber.count } }
}
