internal import Dispatch
internal import Glibc
internal import HeraldEspeakProtocol
public import HeraldCore
internal import HeraldSystem
public import Logging
internal import Synchronization

/// The offline voice: libespeak-ng, always present, the last engine of every chain.
///
/// libespeak-ng runs in a helper process, `herald-espeak` (see `EspeakHelper`),
/// so that a synthesis that hangs or crashes costs one chunk instead of the
/// daemon's only voice. One thread of ours supervises the helper and hands it
/// requests one at a time: audio comes back in the library's 40 ms buffers as
/// they are made, and a cancel stops it at the next buffer. A helper that sends
/// nothing for `silenceBound` while a request is pending, or that exits, is
/// killed, that chunk fails with an `EngineError` saying so, and a fresh helper
/// is started at once, so the engine bounds its own waits.
public final class EspeakEngine: SpeechEngine {
    public let name = "espeak-ng"
    private let worker: EspeakWorker

    /// How long the helper may send nothing while a request is pending before
    /// it is taken as hung. espeak-ng makes a 40 ms buffer in well under a
    /// millisecond of CPU, and a `<break>` is audio too, so 5 s of nothing is a
    /// stuck or starved process, never a slow sentence.
    public static let silenceBound: Duration = .seconds(5)

    /// Starts the helper process and waits for it to load the library's data,
    /// so the first request pays no start-up.
    /// - Throws: `EngineError(.unavailable)` when the helper cannot be found or
    ///   started, or the espeak-ng data cannot be loaded.
    public init(logger: Logger) throws(EngineError) {
        worker = try EspeakWorker.shared(logger: logger)
    }

    /// The format of every chunk this engine yields.
    public var nativeFormat: AudioFormat { worker.format }

    public var boundsItsOwnWaits: Bool { true }

    /// The helper's first audio comes about 0.1 ms after a request, as quick
    /// as a cache hit, so its audio is not kept in memory.
    public var isWorthCaching: Bool { false }

    /// The helper sets espeak-ng's own rate, pitch and volume, which keep a formant voice clean at speed.
    public var hasNativeProsody: Bool { true }

    public var isLocal: Bool { true }

    /// espeak-ng reads the chunk's SSML and reports each mark as its audio is made.
    public var markTiming: MarkTiming { .exact }

    public func voices() async -> [Voice] { worker.voices }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let request = EspeakRequest(
            ssml: EspeakMarkup.ssml(for: chunk), settings: settings, output: continuation, wake: worker.requests.wake)
        continuation.onTermination = { _ in request.cancel() }
        worker.requests.push(request)
        return stream
    }
}

/// One chunk to synthesise, shared between the caller and the supervising thread.
final class EspeakRequest: Sendable {
    let ssml: String
    let settings: VoiceSettings
    let output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation
    private let cancelled = Atomic<Bool>(false)
    private let wake: EventFD

    init(
        ssml: String, settings: VoiceSettings, output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation,
        wake: EventFD
    ) {
        self.ssml = ssml
        self.settings = settings
        self.output = output
        self.wake = wake
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Wakes the supervisor, which tells the helper to stop at its next buffer.
    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        wake.signal()
    }
}

/// The thread that supervises the helper. There is one per process: the
/// helper's voices and rate are the same for every engine made.
final class EspeakWorker: Sendable {
    private static let instance = Locked<EspeakWorker?>(nil)

    /// The running worker, or a new one; a failed start is not remembered, so
    /// the next engine made tries again.
    static func shared(logger: Logger) throws(EngineError) -> EspeakWorker {
        try instance.withLock { instance throws(EngineError) in
            if let instance { return instance }
            let worker = try EspeakWorker(logger: logger)
            instance = worker
            return worker
        }
    }

    let format: AudioFormat
    let voices: [Voice]
    let requests: EspeakRequestQueue

    private init(logger: Logger) throws(EngineError) {
        guard let wake = EventFD() else {
            throw EngineError(.unavailable, engine: "espeak-ng", "no file descriptor left for the espeak-ng helper")
        }
        let executable = try EspeakHelper.locate()
        let requests = EspeakRequestQueue(wake: wake)
        let startup = EspeakStartup()
        // The helper dies with the thread that started it (PR_SET_PDEATHSIG),
        // so this thread, which lives as long as the process, starts every one.
        let started = startDetachedThread(named: "herald.espeak-ng") {
            let supervisor = EspeakSupervisor(executable: executable, requests: requests, logger: logger)
            let ready = supervisor.startFirst()
            startup.finish(ready)
            if case .success = ready { supervisor.run() }
        }
        guard started else {
            throw EngineError(.unavailable, engine: "espeak-ng", "no thread left to supervise the espeak-ng helper")
        }
        let ready = try startup.wait().get()
        format = AudioFormat(sampleRate: ready.sampleRate)
        voices = ready.voices
        self.requests = requests
        logger.debug(
            "espeak-ng ready",
            metadata: ["herald.rate": "\(ready.sampleRate)", "herald.voices": "\(ready.voices.count)", "herald.helper": "\(executable)"])
    }
}

/// Requests waiting for the helper, oldest first; pushing or cancelling wakes the supervisor.
final class EspeakRequestQueue: Sendable {
    private let pending = Locked<[EspeakRequest]>([])
    let wake: EventFD

    init(wake: EventFD) { self.wake = wake }

    func push(_ request: EspeakRequest) {
        pending.withLock { $0.append(request) }
        wake.signal()
    }

    func pop() -> EspeakRequest? {
        pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// What the first helper reported, handed from the supervising thread to `init`.
private final class EspeakStartup: Sendable {
    private let result = Locked<Result<EspeakHelper.Ready, EngineError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ ready: Result<EspeakHelper.Ready, EngineError>) {
        result.withLock { $0 = ready }
        done.signal()
    }

    func wait() -> Result<EspeakHelper.Ready, EngineError> {
        done.wait()
        return result.withLock { $0! }
    }
}
