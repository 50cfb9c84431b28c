internal import Foundation
public import HeraldCore

/// Sine tones cut into chunks the way an engine delivers them.
///
/// Shared in `HeraldTesting`: sink and player tests need audio whose pitch
/// and length can be checked in what was captured.
public enum TestTone {
    /// `seconds` of a `frequency` Hz sine at half scale, in chunks of `chunkMilliseconds`.
    public static func chunks(
        frequency: Double, seconds: Double, format: AudioFormat, chunkMilliseconds: Int = 100
    ) -> [AudioChunk] {
        let total = Int(seconds * Double(format.sampleRate))
        let samples: [Int16] = (0..<total).flatMap { frame -> [Int16] in
            let value = Int16(16_000 * sin(2 * Double.pi * frequency * Double(frame) / Double(format.sampleRate)))
            return Array(repeating: value, count: format.channels)
        }
        let step = format.frames(milliseconds: chunkMilliseconds) * format.channels
        return stride(from: 0, to: samples.count, by: step).map {
            AudioChunk(format: format, samples: Array(samples[$0..<min($0 + step, samples.count)]))
        }
    }
}
