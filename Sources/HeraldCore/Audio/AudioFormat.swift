/// The PCM Herald moves around: signed 16-bit little-endian, interleaved.
///
/// Engines produce mono at their own rate (aura 24 kHz, espeak-ng 22.05 kHz);
/// the sink reopens the device when the rate changes.
public struct AudioFormat: Sendable, Hashable, CustomStringConvertible {
    public let sampleRate: Int
    public let channels: Int

    public init(sampleRate: Int, channels: Int = 1) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Frames in `milliseconds` of audio.
    public func frames(milliseconds: Int) -> Int { sampleRate * milliseconds / 1000 }

    /// Duration of `frames` frames, in seconds.
    public func seconds(frames: Int) -> Double { Double(frames) / Double(sampleRate) }

    public var description: String { "\(sampleRate) Hz, \(channels) ch, S16_LE" }
}

/// A run of samples in one format.
public struct AudioChunk: Sendable, Equatable {
    public let format: AudioFormat
    /// Interleaved samples; `samples.count / format.channels` frames.
    public let samples: [Int16]

    public init(format: AudioFormat, samples: [Int16]) {
        self.format = format
        self.samples = samples
    }

    public var frameCount: Int { samples.count / format.channels }
}
