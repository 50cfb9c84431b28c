/// Brings engine audio to one format, for whoever needs a single format from
/// start to end: a Spiel client sets up its player from the voice's format
/// before any audio arrives, and a WAV file has one rate. Herald's engines
/// fall back to one another (a cloud voice may be spoken by espeak-ng at
/// 22.05 kHz when aura, at 24 kHz, is down), so a chunk can come at another
/// rate than advertised. Rather than fail, the chunk is resampled (linear
/// interpolation: plenty for speech) and mixed down to mono: a screen reader
/// must not go silent.
public enum AudioConversion {
    /// `chunk`'s samples at `format`'s rate and channel count.
    public static func convert(_ chunk: AudioChunk, to format: AudioFormat) -> [Int16] {
        var samples = chunk.samples
        if chunk.format.channels != format.channels {
            samples = mono(samples, channels: chunk.format.channels)
            if format.channels > 1 { samples = samples.flatMap { Array(repeating: $0, count: format.channels) } }
        }
        guard chunk.format.sampleRate != format.sampleRate, format.channels == 1 else { return samples }
        return resample(samples, from: chunk.format.sampleRate, to: format.sampleRate)
    }

    /// Interleaved frames averaged to one channel.
    public static func mono(_ samples: [Int16], channels: Int) -> [Int16] {
        guard channels > 1 else { return samples }
        return stride(from: 0, to: samples.count - channels + 1, by: channels).map { start in
            var sum = 0
            for index in start..<start + channels { sum += Int(samples[index]) }
            return Int16(sum / channels)
        }
    }

    /// Mono samples from one rate to another by linear interpolation.
    public static func resample(_ samples: [Int16], from sourceRate: Int, to targetRate: Int) -> [Int16] {
        guard sourceRate > 0, targetRate > 0, sourceRate != targetRate, !samples.isEmpty else { return samples }
        let count = samples.count * targetRate / sourceRate
        let step = Double(sourceRate) / Double(targetRate)
        var output = [Int16]()
        output.reserveCapacity(count)
        for index in 0..<count {
            let position = Double(index) * step
            let before = min(Int(position), samples.count - 1)
            let after = min(before + 1, samples.count - 1)
            let fraction = position - Double(before)
            let value = Double(samples[before]) * (1 - fraction) + Double(samples[after]) * fraction
            output.append(Int16(value.rounded()))
        }
        return output
    }
}
