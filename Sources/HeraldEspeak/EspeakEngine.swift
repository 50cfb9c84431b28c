internal import CEspeakNG
internal import Foundation
public import HeraldCore
public import Logging
internal import Synchronization
internal import HeraldSystem

/// The offline voice: libespeak-ng, always present, the last engine of every chain.
///
/// libespeak-ng keeps global state, so one thread of ours owns it for the
/// life of the process and runs requests one at a time. It synthesises in
/// synchronous mode with a callback that receives samples as they are made,
/// so each buffer is yielded at once; returning 1 from the callback aborts.
public final class EspeakEngine: SpeechEngine {
    public let name = "espeak-ng"
    private let worker: EspeakWorker

    /// Starts the engine's thread and loads the library's data.
    /// - Throws: `EngineError(.unavailable)` when the espeak-ng data cannot be loaded.
    public init(logger: Logger) throws(EngineError) {
        worker = try EspeakWorker.shared(logger: logger)
    }

    /// The sample rate of every chunk this engine yields.
    public var format: AudioFormat { worker.format }

    public func voices() async -> [Voice] { worker.voices }

    public func synthesize(_ chunk: SpeechChunk, settings: VoiceSettings) -> AsyncThrowingStream<SynthesisOutput, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SynthesisOutput.self)
        let request = EspeakRequest(ssml: EspeakMarkup.ssml(for: chunk), settings: settings, output: continuation)
        continuation.onTermination = { _ in request.cancel() }
        worker.submit(request)
        return stream
    }
}

/// One chunk to synthesise, shared between the caller and the espeak thread.
final class EspeakRequest: Sendable {
    let ssml: String
    let settings: VoiceSettings
    let output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation
    private let cancelled = Atomic<Bool>(false)

    init(ssml: String, settings: VoiceSettings, output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation) {
        self.ssml = ssml
        self.settings = settings
        self.output = output
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

/// The thread that owns libespeak-ng. There is one per process, because the
/// library is a singleton.
final class EspeakWorker: Sendable {
    private static let instance = Locked<Result<EspeakWorker, EngineError>?>(nil)

    static func shared(logger: Logger) throws(EngineError) -> EspeakWorker {
        try instance.withLock { instance in
            if instance == nil {
                instance = Result { () throws(EngineError) in try EspeakWorker(logger: logger) }
            }
            return instance!
        }.get()
    }

    let format: AudioFormat
    let voices: [Voice]
    private let requests = EspeakRequestQueue()

    private init(logger: Logger) throws(EngineError) {
        let startup = EspeakStartup()
        let thread = Thread { [requests] in
            let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 40, nil, Int32(espeakINITIALIZE_DONT_EXIT))
            if rate > 0 { espeak_SetSynthCallback(espeakCallback) }
            startup.finish(rate: Int(rate), voices: rate > 0 ? EspeakVoices.list() : [])
            guard rate > 0 else { return }
            let session = EspeakSession(sampleRate: Int(rate), logger: logger)
            while true { session.run(requests.next()) }
        }
        thread.name = "herald.espeak-ng"
        thread.start()
        let (rate, voices) = startup.wait()
        guard rate > 0 else {
            throw EngineError(
                .unavailable, engine: "espeak-ng",
                "libespeak-ng could not load its data; install the espeak-ng-data package")
        }
        format = AudioFormat(sampleRate: rate)
        self.voices = voices
        logger.debug("espeak-ng ready", metadata: ["herald.rate": "\(rate)", "herald.voices": "\(voices.count)"])
    }

    func submit(_ request: EspeakRequest) { requests.push(request) }
}

/// Requests waiting for the espeak thread, oldest first.
private final class EspeakRequestQueue: Sendable {
    private let pending = Locked<[EspeakRequest]>([])
    private let wakeup = DispatchSemaphore(value: 0)

    func push(_ request: EspeakRequest) {
        pending.withLock { $0.append(request) }
        wakeup.signal()
    }

    /// Blocks the calling thread until a request is there.
    func next() -> EspeakRequest {
        while true {
            wakeup.wait()
            if let request = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return request }
        }
    }
}

/// What the espeak thread found when it loaded the library.
private final class EspeakStartup: Sendable {
    private let result = Locked<(rate: Int, voices: [Voice])>((0, []))
    private let done = DispatchSemaphore(value: 0)

    func finish(rate: Int, voices: [Voice]) {
        result.withLock { $0 = (rate, voices) }
        done.signal()
    }

    func wait() -> (rate: Int, voices: [Voice]) {
        done.wait()
        return result.withLock { $0 }
    }
}

/// What the callback is feeding: set by the espeak thread around each
/// `espeak_Synth` call and read only by the callback on that same thread.
private nonisolated(unsafe) var activeSynthesis: EspeakSession.Active?

/// The C callback: forwards samples and marks of the active request.
private func espeakCallback(
    _ wav: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutablePointer<espeak_EVENT>?
) -> Int32 {
    guard let active = activeSynthesis else { return 1 }
    return active.receive(wav: wav, count: Int(count), events: events) ? 0 : 1
}

/// State that lives on the espeak thread only.
private final class EspeakSession {
    let sampleRate: Int
    let logger: Logger
    private var appliedVoice: String?

    init(sampleRate: Int, logger: Logger) {
        self.sampleRate = sampleRate
        self.logger = logger
    }

    /// One request in flight: splits the samples at mark positions.
    final class Active {
        let request: EspeakRequest
        let format: AudioFormat
        var framesYielded = 0

        init(request: EspeakRequest, format: AudioFormat) {
            self.request = request
            self.format = format
        }

        /// Returns false to abort synthesis.
        func receive(wav: UnsafeMutablePointer<Int16>?, count: Int, events: UnsafeMutablePointer<espeak_EVENT>?) -> Bool {
            if request.isCancelled { return false }
            let samples = wav.map { Array(UnsafeBufferPointer(start: $0, count: max(0, count))) } ?? []
            var cursor = 0
            var event = events
            while let current = event, current.pointee.type != espeakEVENT_LIST_TERMINATED {
                if current.pointee.type == espeakEVENT_MARK, let name = current.pointee.id.name {
                    let frame = Int(current.pointee.audio_position) * format.sampleRate / 1000
                    let split = min(samples.count, max(cursor, frame - framesYielded))
                    yieldAudio(samples[cursor..<split])
                    cursor = split
                    request.output.yield(.mark(String(cString: name)))
                }
                event = current + 1
            }
            yieldAudio(samples[cursor...])
            return true
        }

        private func yieldAudio(_ samples: ArraySlice<Int16>) {
            guard !samples.isEmpty else { return }
            framesYielded += samples.count
            request.output.yield(.audio(AudioChunk(format: format, samples: Array(samples))))
        }
    }

    func run(_ request: EspeakRequest) {
        guard !request.isCancelled else {
            request.output.finish()
            return
        }
        apply(request.settings)
        let active = Active(request: request, format: AudioFormat(sampleRate: sampleRate))
        activeSynthesis = active
        defer { activeSynthesis = nil }
        let flags = UInt32(espeakCHARS_UTF8) | UInt32(espeakSSML)
        let status = request.ssml.withCString { text in
            espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, flags, nil, nil)
        }
        if status != EE_OK, !request.isCancelled {
            request.output.finish(
                throwing: EngineError(.failed, engine: "espeak-ng", "synthesis failed (espeak error \(status.rawValue))"))
        } else {
            request.output.finish()
        }
    }

    /// Maps Herald's −100…100 settings onto espeak-ng's scales; 0 is each voice's normal.
    private func apply(_ settings: VoiceSettings) {
        // "C" and "POSIX" are what clients send from an unset locale: English, quietly.
        let language = settings.language.flatMap { ["c", "posix"].contains($0.lowercased()) ? nil : $0 }
        let voiceKey = settings.voice ?? language ?? "en"
        if voiceKey != appliedVoice {
            if !EspeakVoices.select(voice: settings.voice, language: language) {
                logger.info("espeak-ng has no such voice; using English", metadata: ["herald.voice": "\(voiceKey)"])
                _ = EspeakVoices.select(voice: nil, language: "en")
            }
            appliedVoice = voiceKey
        }
        espeak_SetParameter(espeakRATE, Int32(EspeakScale.wordsPerMinute(settings.rate)), 0)
        espeak_SetParameter(espeakPITCH, Int32(50 + settings.pitch / 2), 0)
        espeak_SetParameter(espeakRANGE, Int32(50 + settings.pitchRange / 2), 0)
        espeak_SetParameter(espeakVOLUME, Int32((settings.volume + 100) / 2), 0)
    }
}

/// espeak-ng's own scales.
enum EspeakScale {
    /// −100 → 80 wpm (espeak-ng's slowest), 0 → 175 (its default), 100 → 450 (its fastest).
    static func wordsPerMinute(_ rate: Int) -> Int {
        rate < 0 ? 175 + rate * 95 / 100 : 175 + rate * 275 / 100
    }
}
