internal import CHeraldEspeakWire

/// The binary protocol between heraldd and its `herald-espeak` helper, over
/// the stream socket heraldd hands the helper as descriptor 3.
///
/// Every frame is a little-endian `UInt32` length (of what follows it, at
/// least 1), a kind byte, then the kind's fields. Integers are little-endian
/// 32-bit; a string is a `UInt32` byte count and UTF-8 bytes; samples are
/// 16-bit little-endian mono PCM at the rate the helper announced.
///
///     heraldd → helper
///       speak   id, rate, pitch, pitchRange, volume, voice, language, ssml
///               (settings on Herald's −100…100 scales, "" for no voice or language)
///       cancel  id                      stop that request at the next buffer
///     helper → heraldd
///       ready   sampleRate, count, count × (identifier, name, language)
///       audio   id, samples…
///       mark    id, name                between the audio before it and the audio after it
///       notice  id, text                something worth a log line (an unknown voice)
///       end     id                      last frame of a request, also after a cancel
///       failed  id, text                (the text names espeak-ng's status)
///       startFailed text                libespeak-ng could not load; the helper exits
///
/// heraldd sends one `speak` at a time and waits for its `end` or `failed`,
/// so each side has at most one request in flight.
///
/// The helper is written in C (Sources/herald-espeak/main.c); the socket
/// descriptor, the frame limit and the kind bytes come from the header both
/// sides read (Sources/CHeraldEspeakWire/include/herald_espeak_wire.h).
public enum EspeakWire {
    /// The descriptor the helper finds its socket on.
    public static let socketDescriptor = Int32(HERALD_ESPEAK_SOCKET)
    /// Frames larger than this are a broken peer, not a long text.
    public static let maximumFrame = Int(HERALD_ESPEAK_MAXIMUM_FRAME)

    public enum Kind: CaseIterable, Sendable {
        case speak, cancel, ready, audio, mark, notice, end, failed, startFailed

        /// The kind byte on the wire.
        public var rawValue: UInt8 {
            let byte =
                switch self {
                case .speak: HERALD_ESPEAK_KIND_SPEAK
                case .cancel: HERALD_ESPEAK_KIND_CANCEL
                case .ready: HERALD_ESPEAK_KIND_READY
                case .audio: HERALD_ESPEAK_KIND_AUDIO
                case .mark: HERALD_ESPEAK_KIND_MARK
                case .notice: HERALD_ESPEAK_KIND_NOTICE
                case .end: HERALD_ESPEAK_KIND_END
                case .failed: HERALD_ESPEAK_KIND_FAILED
                case .startFailed: HERALD_ESPEAK_KIND_START_FAILED
                }
            return UInt8(byte)
        }

        /// The kind a byte names; nil for a byte no kind has (a broken peer).
        public init?(rawValue: UInt8) {
            guard let kind = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
            self = kind
        }
    }
}

/// Builds one frame.
public struct EspeakFrameWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(_ kind: EspeakWire.Kind, capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity + 5)
        bytes.append(contentsOf: [0, 0, 0, 0, kind.rawValue])
    }

    public mutating func append(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    public mutating func append(_ value: Int32) { append(UInt32(bitPattern: value)) }

    public mutating func append(_ value: Int) { append(Int32(clamping: value)) }

    public mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            append(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func append(samples: UnsafeBufferPointer<Int16>) {
        #if _endian(little)
        bytes.append(contentsOf: UnsafeRawBufferPointer(samples))
        #else
        for sample in samples {
            let value = UInt16(bitPattern: sample.littleEndian)
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        }
        #endif
    }

    /// The frame with its length filled in.
    public mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4)
        bytes[0] = UInt8(truncatingIfNeeded: length)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: length >> 24)
        return bytes
    }
}

/// Reads the fields of one frame's body (after the length and kind); every
/// read returns nil past the end, so a short frame is an error, not a crash.
public struct EspeakFrameReader {
    private let body: ArraySlice<UInt8>
    private var position: Int

    public init(_ body: ArraySlice<UInt8>) {
        self.body = body
        position = body.startIndex
    }

    public var remaining: Int { body.endIndex - position }

    public mutating func uint32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(body[position + shift]) << (8 * shift) }
        position += 4
        return value
    }

    public mutating func int32() -> Int32? { uint32().map { Int32(bitPattern: $0) } }

    public mutating func string() -> String? {
        guard let count = uint32().map(Int.init), count <= remaining else { return nil }
        let string = String(decoding: body[position..<position + count], as: UTF8.self)
        position += count
        return string
    }

    /// The rest of the frame as samples.
    public mutating func samples() -> [Int16] {
        let count = remaining / 2
        let start = position
        position += count * 2
        return [Int16](unsafeUninitializedCapacity: count) { samples, initialized in
            body[start..<start + count * 2].withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(samples).copyMemory(from: bytes)
            }
            for index in 0..<count { samples[index] = Int16(littleEndian: samples[index]) }
            initialized = count
        }
    }
}

/// Splits a byte stream into frames: append what `read` returned, then take
/// frames until nil.
public struct EspeakFrameBuffer {
    private var bytes: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ data: UnsafeRawBufferPointer) {
        if start > 0, start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: data)
    }

    public enum Failure: Error { case oversized(Int), empty }

    /// The next whole frame's kind byte and body, nil when it has not all arrived.
    public mutating func next() throws(Failure) -> (kind: UInt8, body: ArraySlice<UInt8>)? {
        guard bytes.count - start >= 4 else { return nil }
        var length = 0
        for shift in 0..<4 { length |= Int(bytes[start + shift]) << (8 * shift) }
        guard length >= 1 else { throw .empty }
        guard length <= EspeakWire.maximumFrame else { throw .oversized(length) }
        guard bytes.count - start - 4 >= length else { return nil }
        let kind = bytes[start + 4]
        let body = bytes[(start + 5)..<(start + 4 + length)]
        start += 4 + length
        return (kind, body)
    }
}
