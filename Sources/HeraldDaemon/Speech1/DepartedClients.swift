internal import HeraldSystem

/// Bus connections that have left, remembered so that a call they sent just
/// before leaving (handled after the departure) does not leave a message
/// behind. Unique names are never reused on a bus; only the most recent
/// departures are kept, which is all a late call can need.
final class DepartedClients: Sendable {
    private struct State {
        var names: Set<String> = []
        var order: [String] = []
    }

    private static let capacity = 4096
    private let state = Locked(State())

    func add(_ name: String) {
        state.withLock { state in
            guard state.names.insert(name).inserted else { return }
            state.order.append(name)
            if state.order.count > Self.capacity {
                state.names.remove(state.order.removeFirst())
            }
        }
    }

    func contains(_ name: String) -> Bool {
        state.withLock { $0.names.contains(name) }
    }
}
