internal import HeraldCore

/// The `audio/x-spiel` byte stream, as libspeechprovider's stream reader
/// (which libspiel uses) expects it: a 4-byte version header, then chunks
/// that each start with a one-byte type.
///
/// - audio chunk: type 1, a `UInt32` byte count, that many bytes of PCM;
/// - event chunk: type 2, event type (`UInt8`), range start and end and the
///   mark name's byte count (`UInt32` each), then the name.
///
/// Integers are in the machine's byte order and packed, as the C structs of
/// `speech-provider-common.h` are.
///
/// Why every chunk is at most `maxChunkBytes` and written in one `write`:
/// libspeechprovider reads a chunk's payload with a single `read`, which on
/// a pipe returns only what is there. A write of up to `PIPE_BUF` bytes is
/// atomic, so a chunk written whole is also read whole.
enum SpielStream {
    /// `SPEECH_PROVIDER_STREAM_PROTOCOL_VERSION`.
    static let header: [UInt8] = Array("0.01".utf8)

    /// `PIPE_BUF` on Linux: the largest write a pipe takes atomically.
    static let maxChunkBytes = 4096

    /// The audio bytes one chunk carries: the rest of `maxChunkBytes` after
    /// the 5-byte chunk header, rounded down to whole samples.
    static let maxAudioBytes = (maxChunkBytes - 5) / 2 * 2

    /// libspeechprovider's event types.
    enum EventType: UInt8 {
        case word = 1
        case sentence = 2
        case range = 3
        case mark = 4
    }

    /// S16LE samples as audio chunks of at most `maxChunkBytes` each.
    static func audioChunks(_ samples: [Int16]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        let samplesPerChunk = maxAudioBytes / 2
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + samplesPerChunk)
            var chunk: [UInt8] = [1]
            chunk.reserveCapacity(5 + (end - start) * 2)
            append(UInt32((end - start) * 2), to: &chunk)
            for sample in samples[start..<end] {
                let bits = UInt16(bitPattern: sample)
                chunk.append(UInt8(truncatingIfNeeded: bits))
                chunk.append(UInt8(truncatingIfNeeded: bits >> 8))
            }
            chunks.append(chunk)
            start = end
        }
        return chunks
    }

    /// An SSML mark event. A name that would not fit one chunk is cut at a
    /// character boundary (marks are ids a client chose; 4 KiB is plenty).
    static func markEvent(_ name: String) -> [UInt8] {
        event(.mark, range: nil, name: name)
    }

    /// A word or sentence event: the range it spans, in code points of the
    /// request's text (its text content for SSML), and no name.
    static func rangeEvent(_ type: EventType, _ range: TextRange) -> [UInt8] {
        event(type, range: range, name: "")
    }

    private static func event(_ type: EventType, range: TextRange?, name: String) -> [UInt8] {
        var bytes = Array(name.utf8)
        let room = maxChunkBytes - 14
        if bytes.count > room {
            var cut = Substring(name)
            while cut.utf8.count > room { cut = cut.dropLast() }
            bytes = Array(cut.utf8)
        }
        var chunk: [UInt8] = [2, type.rawValue]
        append(UInt32(clamping: range?.start ?? 0), to: &chunk)
        append(UInt32(clamping: range?.end ?? 0), to: &chunk)
        append(UInt32(bytes.count), to: &chunk)
        return chunk + bytes
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }
}
