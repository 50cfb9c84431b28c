/// Where played audio goes: the sound card in the daemon, a recorder in tests.
///
/// The contract is Speech Dispatcher's audio plugin, kept as small:
/// `play` hands samples over and returns once the device accepted them (not once
/// they were heard), `drain` waits until they were heard, and `stop` — callable
/// from any thread — drops whatever is buffered at once and makes the pending
/// `play` or `drain` return `.stopped`.
public protocol AudioSink: Sendable {
    /// Hands `chunk` to the device; blocks the caller (not a thread) while the
    /// device buffer is full, so synthesis never runs far ahead of playback.
    func play(_ chunk: AudioChunk) async throws(AudioError) -> PlaybackOutcome

    /// Waits until every frame handed over has been played.
    func drain() async throws(AudioError) -> PlaybackOutcome

    /// Drops buffered audio at once. Safe from any thread, never blocks.
    func stop()
}

/// How a `play` or `drain` call ended.
public enum PlaybackOutcome: Sendable, Equatable {
    /// Every frame was handed over (play) or heard (drain).
    case completed
    /// `stop()` was called; `framesAccepted` frames of this call were handed over first.
    case stopped(framesAccepted: Int)
}

/// Why audio could not be played; the message says what the user can do.
public struct AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The PCM could not be opened: missing device, busy device, bad name.
        case deviceUnavailable
        /// The device went away or failed while playing.
        case deviceFailed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
