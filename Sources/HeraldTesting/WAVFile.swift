internal import Foundation

/// A 16-bit PCM WAV file as ALSA's `type file` PCM writes it, read for checks.
///
/// Shared in `HeraldTesting` because every test that plays through a
/// capture PCM checks what was played the same way.
public struct WAVFile: Sendable {
    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The bytes before the samples in the files ALSA writes (RIFF, fmt, data headers).
    public static let headerSize = 44

    public let sampleRate: Int
    public let channels: Int
    /// Interleaved samples.
    public let samples: [Int16]

    public var frameCount: Int { samples.count / max(1, channels) }
    public var seconds: Double { Double(frameCount) / Double(sampleRate) }

    /// Samples already in memory (an engine's output), checked the same way as a file.
    public init(sampleRate: Int, channels: Int = 1, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF",
            String(decoding: bytes[8..<12], as: UTF8.self) == "WAVE"
        else { throw FormatError(description: "\(path) is not a RIFF/WAVE file (\(bytes.count) bytes)") }

        var offset = 12
        var rate = 0
        var channels = 0
        var bits = 0
        var samples: [Int16]?
        while offset + 8 <= bytes.count, samples == nil {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            var size = u32(offset + 4)
            let body = offset + 8
            switch id {
            case "fmt ":
                channels = u16(body + 2)
                rate = u32(body + 4)
                bits = u16(body + 14)
            case "data":
                // A writer that was not closed cleanly leaves 0 or a too-large size.
                if size == 0 || body + size > bytes.count { size = bytes.count - body }
                let count = size / 2
                samples = (0..<count).map { Int16(bitPattern: UInt16(u16(body + 2 * $0))) }
            default:
                break
            }
            offset = body + size + (size & 1)
        }
        guard let samples, rate > 0, channels > 0, bits == 16 else {
            throw FormatError(description: "\(path): no 16-bit PCM data (rate \(rate), channels \(channels), bits \(bits))")
        }
        self.sampleRate = rate
        self.channels = channels
        self.samples = samples
    }

    /// Root mean square of `frames` (all by default), 0…1 of full scale.
    public func rms(frames range: Range<Int>? = nil) -> Double {
        let range = range ?? 0..<frameCount
        let slice = samples[(range.lowerBound * channels)..<(range.upperBound * channels)]
        guard !slice.isEmpty else { return 0 }
        let sum = slice.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(slice.count)).squareRoot() / Double(Int16.max)
    }

    /// The frequency of a clean tone in `frames` (first channel), from zero crossings.
    public func toneFrequency(frames range: Range<Int>) -> Double {
        var crossings = 0
        var previous = samples[range.lowerBound * channels]
        for frame in range.dropFirst() {
            let sample = samples[frame * channels]
            if (previous < 0) != (sample < 0) { crossings += 1 }
            previous = sample
        }
        return Double(crossings) / 2 / (Double(range.count) / Double(sampleRate))
    }
}
