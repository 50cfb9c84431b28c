/// A moment in the fake's WebSocket conversation, reported as it happens so
/// that a benchmark can tell the service's share of a latency from Herald's.
public enum FakeWorkersAISocketEvent: Sendable, Equatable {
    /// A `Flush` arrived; `sequence` counts the connection's flushes from 1.
    case flushReceived(sequence: Int)
    /// That flush was over the connection's flush limit: a warning, no audio.
    case flushRefused(sequence: Int)
    /// The first binary audio frame of that flush was written to the socket.
    case firstAudioSent(sequence: Int)
}

extension FakeWorkersAI {
    /// Calls `observer` on the connection's event loop for every socket event
    /// from now on (nil stops); it must return quickly.
    public func observeSocket(_ observer: (@Sendable (FakeWorkersAISocketEvent) -> Void)?) {
        state.withLock { $0.socketObserver = observer }
    }

    func notify(_ event: FakeWorkersAISocketEvent) {
        state.withLock { $0.socketObserver }?(event)
    }
}
