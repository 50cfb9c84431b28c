internal import HeraldSystem

/// What messages are spoken with: the engine (the daemon's chain of one
/// configuration), the sound device it plays on, and the person's lexicon.
public struct SpeechSetup: Sendable {
    public let engine: any SpeechEngine
    public let sink: any AudioSink
    public let lexicon: Lexicon
    /// Whether words in another script go to a voice of that script's language (`TextPreparer.detectScript`).
    public let detectScript: Bool
    /// What else the setup holds, released once it is retired (the cloud
    /// engines' HTTP client).
    public let release: @Sendable () async -> Void

    public init(
        engine: any SpeechEngine, sink: any AudioSink, lexicon: Lexicon = .empty, detectScript: Bool = true,
        release: @escaping @Sendable () async -> Void = {}
    ) {
        self.engine = engine
        self.sink = sink
        self.lexicon = lexicon
        self.detectScript = detectScript
        self.release = release
    }
}

/// The setup in force, which a reload replaces whole.
///
/// Whoever speaks takes a lease on the setup in force and keeps it until done:
/// a message finishes with the engine and device it began with, and the next
/// one uses the new setup. A replaced setup is retired (its engines shut down,
/// its device closed) when its last lease ends, so a reload never cuts a
/// message off and never leaves an engine running for nobody.
public final class SetupInForce: Sendable {
    /// Called once for a replaced setup nobody holds any more, with the setup
    /// in force by then: a sink the two share must stay open.
    public typealias Retire = @Sendable (_ retired: SpeechSetup, _ inForce: SpeechSetup) async -> Void

    private struct Entry: Sendable {
        let setup: SpeechSetup
        var leases = 0
        var replaced = false
    }

    private struct State: Sendable {
        var current: Int
        var entries: [Int: Entry]
        var nextKey: Int
    }

    private let state: Locked<State>
    private let retire: Retire

    public init(_ setup: SpeechSetup, retire: @escaping Retire = { _, _ in }) {
        state = Locked(State(current: 0, entries: [0: Entry(setup: setup)], nextKey: 1))
        self.retire = retire
    }

    /// The setup the next message will use.
    public var current: SpeechSetup { state.withLock { $0.entries[$0.current]!.setup } }

    /// The setup in force, held until the lease is dropped.
    public func lease() -> SetupLease {
        let (key, setup) = state.withLock { state in
            state.entries[state.current]!.leases += 1
            return (state.current, state.entries[state.current]!.setup)
        }
        return SetupLease(setup: setup, key: key, owner: self)
    }

    /// Puts `setup` in force. The one it replaces is retired now if nobody
    /// holds it, else when its last lease ends.
    public func replace(with setup: SpeechSetup) {
        let idle: SpeechSetup? = state.withLock { state in
            let old = state.current
            state.entries[old]!.replaced = true
            state.current = state.nextKey
            state.entries[state.nextKey] = Entry(setup: setup)
            state.nextKey += 1
            guard state.entries[old]!.leases == 0 else { return nil }
            return state.entries.removeValue(forKey: old)!.setup
        }
        if let idle { Task { await retire(idle, setup) } }
    }

    /// Retires every setup, held or not, and waits for that: the daemon is stopping.
    public func retireAll() async {
        let (all, current) = state.withLock { state in
            let current = state.entries[state.current]!.setup
            let all = state.entries.values.map(\.setup)
            state.entries = [state.current: Entry(setup: current)]
            return (all, current)
        }
        for setup in all { await retire(setup, current) }
    }

    fileprivate func release(_ key: Int) {
        let idle: (SpeechSetup, SpeechSetup)? = state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            entry.leases -= 1
            guard entry.leases == 0, entry.replaced, key != state.current else {
                state.entries[key] = entry
                return nil
            }
            state.entries[key] = nil
            return (entry.setup, state.entries[state.current]!.setup)
        }
        if let (retired, inForce) = idle { Task { await retire(retired, inForce) } }
    }
}

/// A hold on one setup: it is not retired while this exists.
public final class SetupLease: Sendable {
    public let setup: SpeechSetup
    private let key: Int
    private let owner: SetupInForce

    fileprivate init(setup: SpeechSetup, key: Int, owner: SetupInForce) {
        self.setup = setup
        self.key = key
        self.owner = owner
    }

    deinit { owner.release(key) }
}
