public import HeraldCore
internal import HeraldSystem

/// An `AudioSink` that keeps what it was given, for tests that check what a
/// user would have heard without a sound card.
///
/// With `realTime` set it takes as long as the audio lasts (in 10 ms slices),
/// so stop, pause and interruption can be tested; otherwise it returns at once.
public final class RecordingSink: AudioSink {
    private struct State {
        var samples: [Int16] = []
        var formats: [AudioFormat] = []
        var stops = 0
    }

    private let state = Locked(State())
    private let realTime: Bool

    public init(realTime: Bool = false) {
        self.realTime = realTime
    }

    /// Every sample accepted so far, in order.
    public var samples: [Int16] { state.withLock { $0.samples } }
    /// The format of each chunk accepted, in order.
    public var formats: [AudioFormat] { state.withLock { $0.formats } }
    /// How often `stop()` was called.
    public var stopCount: Int { state.withLock { $0.stops } }

    public func play(_ chunk: AudioChunk) async throws(AudioError) -> PlaybackOutcome {
        let generation = state.withLock { $0.stops }
        state.withLock { $0.formats.append(chunk.format) }
        let slice = realTime ? chunk.format.frames(milliseconds: 10) * chunk.format.channels : chunk.samples.count
        var offset = 0
        while offset < chunk.samples.count {
            if Task.isCancelled || state.withLock({ $0.stops }) != generation {
                return .stopped(framesAccepted: offset / chunk.format.channels)
            }
            let end = min(chunk.samples.count, offset + max(1, slice))
            state.withLock { $0.samples.append(contentsOf: chunk.samples[offset..<end]) }
            offset = end
            if realTime { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return .completed
    }

    public func drain() async throws(AudioError) -> PlaybackOutcome { .completed }

    public func stop() { state.withLock { $0.stops += 1 } }
}
