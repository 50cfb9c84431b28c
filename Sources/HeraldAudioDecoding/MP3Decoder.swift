internal import CMPG123
public import HeraldCore

/// Why an MP3 buffer could not be decoded (fully). The message never quotes the bytes.
public struct MP3DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No MPEG audio frame was found: the bytes are not MP3 (an HTML page, JSON, noise).
        case notMP3
        /// The stream ended inside a frame: the audio before it was delivered.
        case truncated
        /// libmpg123 itself failed (out of memory, unsupported stream).
        case library
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "MP3: \(message)" }
}

/// Decodes a whole MP3 answer (MeloTTS, or an aura voice that sent MP3) to
/// 16-bit PCM with libmpg123.
///
/// Feed mode is used because the bytes come from the network, not a file,
/// and because it lets a truncated body deliver what it holds before the
/// error: a cloud answer cut short still speaks its first words. Output is
/// forced to signed 16-bit so the chunks go to the sink unconverted; the
/// channel count and rate stay as the stream says (the sink's plug layer
/// adapts them).
public enum MP3Decoder {
    /// Bytes of PCM per delivered chunk at most (4096 stereo frames), so a caller can start playing early.
    static let outputBufferBytes = 16_384

    /// Decodes `bytes`, handing each run of samples to `deliver` in order.
    ///
    /// - Throws: `.notMP3` when no frame decoded; `.truncated` after delivering
    ///   the complete frames when the buffer ends inside a frame.
    public static func decode(_ bytes: [UInt8], deliver: (AudioChunk) -> Void) throws(MP3DecodeError) {
        var status: Int32 = 0
        guard let handle = mpg123_new(nil, &status) else {
            throw MP3DecodeError(.library, "cannot create a decoder (mpg123 error \(status))")
        }
        defer { mpg123_delete(handle) }
        // Quiet: libmpg123 otherwise prints resync warnings on stderr for damaged input.
        _ = mpg123_param2(handle, Int32(MPG123_ADD_FLAGS.rawValue), Int(MPG123_QUIET.rawValue), 0)
        try check(mpg123_format_none(handle), handle)
        var rates: UnsafePointer<Int>?
        var rateCount = 0
        mpg123_rates(&rates, &rateCount)
        for index in 0..<rateCount {
            guard let rate = rates?[index] else { continue }
            try check(
                mpg123_format(handle, rate, Int32(MPG123_MONO.rawValue | MPG123_STEREO.rawValue),
                    Int32(MPG123_ENC_SIGNED_16.rawValue)), handle)
        }
        try check(mpg123_open_feed(handle), handle)
        defer { mpg123_close(handle) }

        let fed = bytes.withUnsafeBufferPointer { mpg123_feed(handle, $0.baseAddress, $0.count) }
        try check(fed, handle)

        var format: AudioFormat?
        var delivered = 0
        var output = [UInt8](repeating: 0, count: outputBufferBytes)
        decoding: while true {
            var done = 0
            let result = output.withUnsafeMutableBytes { mpg123_read(handle, $0.baseAddress, $0.count, &done) }
            if done > 0, let format {
                let samples = output.withUnsafeBytes { raw in
                    Array(raw.bindMemory(to: Int16.self).prefix(done / 2))
                }
                delivered += samples.count
                deliver(AudioChunk(format: format, samples: samples))
            }
            switch result {
            case MPG123_OK.rawValue:
                continue
            case MPG123_NEW_FORMAT.rawValue:
                var rate = 0
                var channels: Int32 = 0
                var encoding: Int32 = 0
                try check(mpg123_getformat(handle, &rate, &channels, &encoding), handle)
                format = AudioFormat(sampleRate: rate, channels: Int(channels))
            case MPG123_NEED_MORE.rawValue, MPG123_DONE.rawValue:
                break decoding
            default:
                // A decode error after good frames is damage: keep what was delivered.
                if delivered > 0 {
                    throw MP3DecodeError(.truncated, "the stream is damaged after \(delivered) samples")
                }
                throw MP3DecodeError(.notMP3, "no MPEG audio frame in \(bytes.count) bytes")
            }
        }
        guard delivered > 0 else {
            throw MP3DecodeError(.notMP3, "no MPEG audio frame in \(bytes.count) bytes")
        }
        // Bytes still in the feeder after the last whole frame mean the body
        // stopped inside a frame. A trailing ID3v1 tag (128 bytes, "TAG") is not damage.
        var left = 0
        var ignored = 0.0
        if mpg123_getstate2(handle, Int32(MPG123_BUFFERFILL.rawValue), &left, &ignored) == MPG123_OK.rawValue, left > 0 {
            let isTag = left == 128 && bytes.suffix(128).starts(with: "TAG".utf8)
            if !isTag { throw MP3DecodeError(.truncated, "the stream ends inside a frame (\(left) bytes left)") }
        }
    }

    /// Decodes `bytes` to chunks; convenient when the whole answer is wanted at once.
    public static func decode(_ bytes: [UInt8]) throws(MP3DecodeError) -> [AudioChunk] {
        var chunks: [AudioChunk] = []
        try decode(bytes) { chunks.append($0) }
        return chunks
    }

    /// True when `bytes` begin like MP3: an ID3v2 tag or an MPEG audio frame sync.
    public static func looksLikeMP3(_ bytes: some Collection<UInt8>) -> Bool {
        let head = Array(bytes.prefix(3))
        guard head.count >= 2 else { return false }
        if head.count == 3, head == [0x49, 0x44, 0x33] { return true }  // "ID3"
        return head[0] == 0xFF && head[1] & 0xE0 == 0xE0
    }

    private static func check(_ status: Int32, _ handle: OpaquePointer) throws(MP3DecodeError) {
        guard status == MPG123_OK.rawValue else {
            let reason = mpg123_plain_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw MP3DecodeError(.library, "libmpg123: \(reason)")
        }
    }
}
