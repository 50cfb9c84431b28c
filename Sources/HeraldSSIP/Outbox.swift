internal import HeraldSystem

/// What one connection has to send, in the order SSIP requires.
///
/// Replies and events are produced by different tasks (the command loop,
/// the event router); this puts them in one order. While a command is being
/// handled, events wait, so that none falls between a command and its reply
/// (ssip.info 4.7.3); they follow the reply. Everything not yet written to
/// the socket counts against `limit`: a client that never reads cannot make
/// the daemon grow, it is disconnected instead (`onOverflow`).
final class Outbox: Sendable {
    private struct State {
        var inCommand = false
        /// Events also wait for a moment after a message was queued; see `endCommand`.
        var graceGeneration: Int?
        var nextGeneration = 0
        var held: [String] = []
        var heldBytes = 0
        /// Handed to the writer but not yet written to the socket.
        var pendingBytes = 0
        var closed = false
    }

    private let state = Locked(State())
    private let continuation: AsyncStream<String>.Continuation
    /// What the writer task sends, in order.
    let stream: AsyncStream<String>
    let limit: Int
    private let onOverflow: @Sendable () -> Void

    init(limit: Int, onOverflow: @escaping @Sendable () -> Void) {
        (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        self.limit = limit
        self.onOverflow = onOverflow
    }

    /// A command line was read: events wait until its reply is out.
    func beginCommand() {
        state.withLock {
            $0.inCommand = true
            $0.graceGeneration = nil
        }
    }

    /// Sends `reply`, then the events that came while the command ran.
    ///
    /// With `grace`, events keep waiting after the reply until the client's
    /// next command arrives or `grace` has passed. For a reply that carries
    /// a message id: the Python client (and so Orca) registers its callback
    /// for a message only after reading the id, on another thread than the
    /// one that reads events, and drops events for ids it does not know yet
    /// ("we risk, that the callback arrives earlier", speechd/client.py).
    /// Herald begins speaking within a millisecond, so without this a BEGIN
    /// (or a whole short message's events) would be lost. Its next command
    /// proves the client has registered; the timer covers a client that
    /// just waits.
    func endCommand(_ reply: String, grace: Duration? = nil) {
        let (overflow, generation) = state.withLock { state -> (Bool, Int?) in
            state.inCommand = false
            guard !state.closed else { return (false, nil) }
            if let grace, grace > .zero {
                let generation = state.nextGeneration
                state.nextGeneration += 1
                state.graceGeneration = generation
                return (!send([reply], bytes: reply.utf8.count, &state), generation)
            }
            return (!flush(after: reply, &state), nil)
        }
        if overflow {
            onOverflow()
        } else if let grace, let generation {
            Task { [weak self] in
                try? await Sleep.for(grace)
                self?.endGrace(generation)
            }
        }
    }

    private func endGrace(_ generation: Int) {
        let overflow = state.withLock { state -> Bool in
            guard state.graceGeneration == generation, !state.inCommand, !state.closed else { return false }
            state.graceGeneration = nil
            return !flush(after: nil, &state)
        }
        if overflow { onOverflow() }
    }

    private func flush(after reply: String?, _ state: inout State) -> Bool {
        let output = (reply.map { [$0] } ?? []) + state.held
        let bytes = (reply?.utf8.count ?? 0) + state.heldBytes
        state.held = []
        state.heldBytes = 0
        guard !output.isEmpty else { return true }
        return send(output, bytes: bytes, &state)
    }

    /// Sends an event now, or after the reply of the command in progress.
    func event(_ text: String) {
        let overflow = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            let bytes = text.utf8.count
            guard state.inCommand || state.graceGeneration != nil else { return !send([text], bytes: bytes, &state) }
            guard state.pendingBytes + state.heldBytes + bytes <= limit else { return overflowed(&state) }
            state.held.append(text)
            state.heldBytes += bytes
            return false
        }
        if overflow { onOverflow() }
    }

    /// The writer wrote `text` to the socket.
    func written(_ text: String) {
        state.withLock { $0.pendingBytes -= text.utf8.count }
    }

    /// No more output: the writer ends after what is already queued.
    func finish() {
        state.withLock { $0.closed = true }
        continuation.finish()
    }

    /// Bytes queued but not yet written (held events included), for tests and logs.
    var backlog: Int { state.withLock { $0.pendingBytes + $0.heldBytes } }

    private func send(_ texts: [String], bytes: Int, _ state: inout State) -> Bool {
        guard state.pendingBytes + bytes <= limit else { return !overflowed(&state) }
        state.pendingBytes += bytes
        for text in texts { continuation.yield(text) }
        return true
    }

    private func overflowed(_ state: inout State) -> Bool {
        state.closed = true
        state.held = []
        state.heldBytes = 0
        continuation.finish()
        return true
    }
}
