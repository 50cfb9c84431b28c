public import HeraldCore

/// Reads 16-bit PCM out of a RIFF/WAVE buffer, as aura voices answer with
/// `container: wav`.
///
/// Streaming writers (Deepgram among them) put 0 or 0xFFFFFFFF in the size
/// fields because they do not know the length up front, so sizes are clamped
/// to the bytes present rather than trusted.
public enum WAVDecoder {
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// True when `bytes` begin with `RIFF????WAVE`.
    public static func looksLikeWAV(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 12 && bytes[0..<4].elementsEqual("RIFF".utf8) && bytes[8..<12].elementsEqual("WAVE".utf8)
    }

    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> AudioChunk {
        guard looksLikeWAV(bytes) else { throw FormatError(description: "not a RIFF/WAVE body (\(bytes.count) bytes)") }
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var offset = 12
        var format: (rate: Int, channels: Int, bits: Int, tag: Int)?
        while offset + 8 <= bytes.count {
            let id = bytes[offset..<offset + 4]
            let body = offset + 8
            let size = min(u32(offset + 4), bytes.count - body)
            if id.elementsEqual("fmt ".utf8), size >= 16 {
                format = (u32(body + 4), u16(body + 2), u16(body + 14), u16(body))
            } else if id.elementsEqual("data".utf8) {
                guard let format, format.tag == 1 || format.tag == 0xFFFE, format.bits == 16, format.channels > 0,
                    format.rate > 0
                else { throw FormatError(description: "the WAVE data is not 16-bit PCM") }
                let count = size / 2 / format.channels * format.channels
                let samples = (0..<count).map { Int16(bitPattern: UInt16(u16(body + 2 * $0))) }
                return AudioChunk(format: AudioFormat(sampleRate: format.rate, channels: format.channels), samples: samples)
            }
            offset = body + size + (size & 1)
        }
        throw FormatError(description: "the WAVE body has no data chunk")
    }

    /// Little-endian 16-bit samples from raw bytes (an odd last byte is dropped).
    public static func samples(fromLittleEndian bytes: [UInt8]) -> [Int16] {
        (0..<bytes.count / 2).map { Int16(bitPattern: UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8) }
    }
}
