public import HeraldCore
public import Logging
internal import CALSA
internal import Glibc
internal import HeraldSystem

/// Plays PCM on an ALSA device, with a `stop()` that silences it within about a millisecond.
///
/// One dedicated thread owns the `snd_pcm_t` for its whole life and waits in
/// `poll()` on the PCM's descriptors plus an eventfd. Callers only queue
/// requests under a lock and wake that thread, so `stop()` never waits for
/// alsa-lib and never depends on alsa-lib's internal locking (which hung here
/// with `LIBASOUND_THREAD_SAFE=0`). The device buffer is 40 ms in 10 ms periods
/// (20 ms on the pulse plugin, which holds as much again, and 30 ms in 10 ms
/// periods on pipewire-alsa's: see `PCMDevice`): `play` returns once its
/// frames are in that buffer, so synthesis stays about 40 ms ahead of what is
/// heard, and a stop has at most that to drop.
///
/// A missing or busy device makes `play` throw `.deviceUnavailable`, logged
/// once per outage; every later `play` tries to open it again, so audio comes
/// back by itself when the device does.
public final class AlsaSink: AudioSink {
    /// The ALSA PCM name, as in `[audio] device` of the config.
    public let device: String
    private let core: SinkCore
    private let thread: pthread_t

    /// Starts the owner thread; the device itself is opened by the first `play`,
    /// so a sink for a missing device can be made (and reports it when used).
    /// - Parameter closeWhenIdle: the device is closed after this long with
    ///   nothing to play, so an idle desktop has no sound-server thread waking
    ///   Herald (PulseAudio's client thread ticks while a stream is open); the
    ///   next audio reopens it, about a millisecond later.
    public init(device: String = "default", closeWhenIdle: Duration = .seconds(30), logger: Logger) {
        self.device = device
        var logger = logger
        logger[metadataKey: "herald.audio.device"] = "\(device)"
        guard let wakeup = EventFD() else {
            preconditionFailure("AlsaSink: cannot create an eventfd (out of file descriptors)")
        }
        let core = SinkCore(wakeup: wakeup)
        self.core = core
        let owner = Unmanaged.passRetained(
            PCMOwnerContext(core: core, device: device, closeWhenIdle: closeWhenIdle, logger: logger))
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let context = Unmanaged<PCMOwnerContext>.fromOpaque(context!).takeRetainedValue()
            setCurrentThreadName("herald-audio")
            PCMOwner(context).run()
            return nil
        }, owner.toOpaque())
        guard created == 0 else {
            owner.release()
            preconditionFailure("AlsaSink: cannot start the audio thread (error \(created))")
        }
        self.thread = thread
    }

    deinit {
        shutdown()
    }

    /// Queues `chunk` behind earlier requests and returns once all its frames are
    /// in the device buffer, or `.stopped` if `stop()` came first.
    ///
    /// Cancelling the calling task stops the sink (see `submit`), so a player
    /// that cancels a message's task silences it even mid-call.
    public func play(_ chunk: AudioChunk) async throws(AudioError) -> PlaybackOutcome {
        try await submit(.play(chunk))
    }

    /// Returns `.completed` once everything handed over has been heard
    /// (the device buffer is empty), or `.stopped` if `stop()` came first.
    public func drain() async throws(AudioError) -> PlaybackOutcome {
        try await submit(.drain)
    }

    /// Drops buffered audio at once and makes the pending `play`/`drain` and every
    /// request queued before this call return `.stopped`. Requests made after it
    /// play normally. Never blocks: it takes a short lock and writes an eventfd.
    public func stop() {
        core.state.withLock { state in
            state.stopGeneration &+= 1
            state.stopRequestedAt = .now
        }
        core.wakeup.signal()
    }

    /// Stops audio, ends the owner thread and closes the device; waits for that.
    /// Pending and later requests return `.stopped(framesAccepted: 0)`. Idempotent.
    public func shutdown() {
        let first = core.state.withLock { state in
            guard !state.isShutDown else { return false }
            state.isShutDown = true
            state.stopGeneration &+= 1
            state.stopRequestedAt = .now
            return true
        }
        guard first else { return }
        core.wakeup.signal()
        pthread_join(thread, nil)
    }

    /// The time from the latest `stop()` call to the owner thread's `snd_pcm_drop`
    /// returning; for tests and benchmarks.
    var lastStopToDropLatency: Duration? {
        core.state.withLock { $0.lastStopToDrop }
    }

    /// Queues a request. A cancelled task's request never plays: cancellation
    /// before the request is queued is seen under the lock, and cancellation
    /// after it stops the sink, which ends every request queued before.
    private func submit(_ kind: Request.Kind) async throws(AudioError) -> PlaybackOutcome {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let queued = core.state.withLock { state in
                    guard !state.isShutDown, !Task.isCancelled else { return false }
                    state.queue.append(Request(kind: kind, generation: state.stopGeneration, continuation: continuation))
                    return true
                }
                if queued {
                    core.wakeup.signal()
                } else {
                    continuation.resume(returning: .success(.stopped(framesAccepted: 0)))
                }
            }
        } onCancel: {
            stop()
        }
        return try result.get()
    }
}

/// What callers and the owner thread share; everything else belongs to the thread.
final class SinkCore: Sendable {
    let state = Locked(SharedState())
    let wakeup: EventFD

    init(wakeup: EventFD) {
        self.wakeup = wakeup
    }
}

struct SharedState: Sendable {
    /// FIFO of requests the owner thread has not started yet.
    var queue: [Request] = []
    /// Bumped by every `stop()`: requests made under an older generation are stopped.
    var stopGeneration: UInt64 = 0
    var stopRequestedAt: ContinuousClock.Instant?
    var lastStopToDrop: Duration?
    var isShutDown = false
}

struct Request: Sendable {
    enum Kind: Sendable {
        case play(AudioChunk)
        case drain
    }

    let kind: Kind
    /// The stop generation when the request was made.
    let generation: UInt64
    let continuation: CheckedContinuation<Result<PlaybackOutcome, AudioError>, Never>

    func finish(_ result: Result<PlaybackOutcome, AudioError>) {
        continuation.resume(returning: result)
    }
}

/// What the owner thread starts from; handed over once through `pthread_create`.
final class PCMOwnerContext: Sendable {
    let core: SinkCore
    let device: String
    let closeWhenIdle: Duration
    let logger: Logger

    init(core: SinkCore, device: String, closeWhenIdle: Duration, logger: Logger) {
        self.core = core
        self.device = device
        self.closeWhenIdle = closeWhenIdle
        self.logger = logger
    }
}
