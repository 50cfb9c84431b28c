internal import HeraldCore

/// One synthesis stream's way through the prosody stage, owned by that
/// stream's task (as is its libsonic stream).
///
/// Marks are placed by position, not by flushing sonic (a flush ends the
/// stretched audio mid-wave and restarts it in phase with the input: a
/// click): a mark waits until the output reaches the point its input
/// position maps to, `frames before it ÷ speed` (rounded up: never early),
/// and is yielded there, between the two halves of the output chunk it falls in.
final class ProsodyRun {
    private typealias Continuation = AsyncThrowingStream<SynthesisOutput, any Error>.Continuation

    private let settings: VoiceSettings
    private let speed: Double
    private let engine: String
    private let output: Continuation
    private var stretcher: SonicStretcher?
    /// Whether audio has come in yet: a first chunk too short for sonic to
    /// answer goes out as it is, so the message does not wait for the next.
    private var started = false
    /// Frames yielded so far.
    private var yielded = 0
    /// Frames yielded before the current stretcher's first output, and frames fed to it.
    private var base = 0
    private var fed = 0
    /// Marks waiting for the output to reach their place, in order.
    private var pendingMarks: [(name: String, at: Int)] = []

    init(settings: VoiceSettings, engine: String, output: AsyncThrowingStream<SynthesisOutput, any Error>.Continuation) {
        self.settings = settings
        self.speed = Prosody.speed(rate: settings.rate)
        self.engine = engine
        self.output = output
    }

    func audio(_ audio: AudioChunk) throws(EngineError) {
        if let current = stretcher, current.format != audio.format {
            try end(current)
        }
        defer { started = true }
        let current: SonicStretcher
        if let stretcher {
            current = stretcher
        } else {
            if !started, audio.frameCount < SonicStretcher.framesNeeded(audio.format) {
                emit(Self.scaled(audio.samples, by: Prosody.gain(volume: settings.volume)), audio.format)
                return
            }
            current = try SonicStretcher(format: audio.format, settings: settings, engine: engine)
            stretcher = current
            base = yielded
            fed = 0
        }
        fed += audio.frameCount
        emit(try current.process(audio, engine: engine), audio.format)
    }

    func mark(_ name: String) {
        let at = stretcher == nil ? yielded : base + Int((Double(fed) / speed).rounded(.up))
        if at <= yielded, pendingMarks.isEmpty {
            output.yield(.mark(name))
        } else {
            pendingMarks.append((name, at))
        }
    }

    /// What sonic still holds, then any marks still waiting.
    func finish() throws(EngineError) {
        if let current = stretcher { try end(current) }
        for mark in pendingMarks { output.yield(.mark(mark.name)) }
        pendingMarks.removeAll()
    }

    /// Flushes `current`, fading its last 2 ms out: the flush cuts the
    /// stretched wave wherever its expected length ends, and what follows
    /// (the next chunk, or another format) starts afresh.
    private func end(_ current: SonicStretcher) throws(EngineError) {
        var samples = try current.flush(engine: engine)
        let channels = current.format.channels
        let frames = samples.count / channels
        let fade = min(frames, current.format.frames(milliseconds: 2))
        for frame in (frames - fade)..<frames {
            let weight = Double(frames - frame - 1) / Double(fade)
            for channel in 0..<channels {
                let index = frame * channels + channel
                samples[index] = Int16((Double(samples[index]) * weight).rounded())
            }
        }
        emit(samples, current.format)
        stretcher = nil
    }

    /// Yields `samples`, with each waiting mark between the frames before and after its place.
    private func emit(_ samples: [Int16], _ format: AudioFormat) {
        let channels = format.channels
        let frames = samples.count / channels
        var from = 0
        while let mark = pendingMarks.first, mark.at <= yielded + (frames - from) {
            let cut = from + max(0, mark.at - yielded)
            if cut > from {
                output.yield(.audio(AudioChunk(format: format, samples: Array(samples[(from * channels)..<(cut * channels)]))))
                yielded += cut - from
                from = cut
            }
            output.yield(.mark(mark.name))
            pendingMarks.removeFirst()
        }
        guard from < frames else { return }
        let rest = from == 0 ? samples : Array(samples[(from * channels)...])
        output.yield(.audio(AudioChunk(format: format, samples: rest)))
        yielded += frames - from
    }

    private static func scaled(_ samples: [Int16], by gain: Double) -> [Int16] {
        gain == 1 ? samples : samples.map { Int16((Double($0) * gain).rounded()) }
    }
}
