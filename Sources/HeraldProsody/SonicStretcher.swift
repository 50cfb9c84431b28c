internal import CSonic
internal import HeraldCore

/// One libsonic stream: audio in one format at one speed, pitch and gain.
///
/// A `sonicStream` is not thread-safe, so a stretcher belongs to the one
/// synthesis stream (and task) that made it and is never shared; hence not
/// `Sendable`. Sonic keeps its own buffers, grown once to the largest chunk
/// seen, so nothing is allocated per sample: only each output chunk's array.
final class SonicStretcher {
    let format: AudioFormat
    private let stream: OpaquePointer

    /// - Throws: `EngineError(.failed)` when libsonic cannot allocate its stream.
    init(format: AudioFormat, settings: VoiceSettings, engine: String) throws(EngineError) {
        guard let stream = sonicCreateStream(Int32(format.sampleRate), Int32(format.channels)) else {
            throw EngineError(.failed, engine: engine, "the prosody stage could not allocate its libsonic stream")
        }
        sonicSetSpeed(stream, Float(Prosody.speed(rate: settings.rate)))
        sonicSetPitch(stream, Float(Prosody.pitchFactor(pitch: settings.pitch)))
        sonicSetVolume(stream, Float(Prosody.gain(volume: settings.volume)))
        self.format = format
        self.stream = stream
    }

    deinit { sonicDestroyStream(stream) }

    /// Frames sonic gathers before its first output: two periods of its lowest pitch.
    static func framesNeeded(_ format: AudioFormat) -> Int { 2 * (format.sampleRate / Int(SONIC_MIN_PITCH)) }

    /// Feeds `chunk` and returns what sonic has ready (empty while it gathers
    /// the two pitch periods it needs before its first output).
    func process(_ chunk: AudioChunk, engine: String) throws(EngineError) -> [Int16] {
        let written = chunk.samples.withUnsafeBufferPointer { samples in
            // sonic reads the samples only; its parameter is not const.
            sonicWriteShortToStream(stream, UnsafeMutablePointer(mutating: samples.baseAddress), Int32(chunk.frameCount))
        }
        guard written != 0 else { throw EngineError(.failed, engine: engine, "the prosody stage ran out of memory") }
        return drain()
    }

    /// Everything still held, at the stream's end; sonic pads with silence and
    /// trims to the expected length.
    func flush(engine: String) throws(EngineError) -> [Int16] {
        guard sonicFlushStream(stream) != 0 else {
            throw EngineError(.failed, engine: engine, "the prosody stage ran out of memory")
        }
        return drain()
    }

    private func drain() -> [Int16] {
        let frames = Int(sonicSamplesAvailable(stream))
        guard frames > 0 else { return [] }
        let count = frames * format.channels
        return [Int16](unsafeUninitializedCapacity: count) { buffer, initialized in
            let read = Int(sonicReadShortFromStream(stream, buffer.baseAddress, Int32(frames)))
            initialized = read * format.channels
        }
    }
}
