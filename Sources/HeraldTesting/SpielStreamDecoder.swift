/// What a Spiel client got from a provider's pipe, decoded from the
/// `audio/x-spiel` framing as libspeechprovider's reader reads it: a
/// 4-byte version, then chunks of type 1 (audio: `UInt32` size, bytes) and
/// type 2 (event: type `UInt8`, range start, range end and name length
/// `UInt32`, then the name), integers little-endian on these machines.
///
/// Written from the framing's description, independently of the provider's
/// encoder, so that a test checks the provider against the format and not
/// against itself. Shared in `HeraldTesting` because the provider's own tests
/// and the end-to-end tests of heraldd read the same streams.
public struct SpielStreamContent: Sendable, CustomStringConvertible {
    /// One event chunk, with how many samples of audio came before it.
    public struct Event: Sendable, Equatable {
        public let type: UInt8
        public let rangeStart: UInt32
        public let rangeEnd: UInt32
        public let name: String
        public let atSample: Int
    }

    /// The first four bytes; `0.01` for the current protocol.
    public var version: String = ""
    /// Every audio chunk's S16LE samples, concatenated.
    public var samples: [Int16] = []
    public var events: [Event] = []
    public var audioChunks = 0
    /// The size of the largest chunk, header included; libspeechprovider
    /// reads each chunk with one `read`, so a chunk over 4096 bytes could arrive torn.
    public var largestChunk = 0
    /// Set when the bytes do not follow the framing; says where.
    public var malformed: String?
    /// True when the stream ended inside a chunk (the provider stopped mid-write).
    public var truncated = false

    public init() {}

    /// Names of the SSML mark events (type 4), in order.
    public var marks: [String] { events.filter { $0.type == 4 }.map(\.name) }

    public func seconds(rate: Int) -> Double { Double(samples.count) / Double(rate) }

    /// Root mean square of the samples, as a fraction of full scale.
    public var rms: Double {
        guard !samples.isEmpty else { return 0 }
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(samples.count)).squareRoot() / 32768
    }

    public var description: String {
        "version \(version), \(samples.count) samples in \(audioChunks) chunks, events \(events.map(\.name)), "
            + "largest chunk \(largestChunk) B\(malformed.map { ", malformed: \($0)" } ?? "")\(truncated ? ", truncated" : "")"
    }

    /// Decodes a whole stream.
    public static func decode(_ bytes: [UInt8]) -> SpielStreamContent {
        var content = SpielStreamContent()
        guard bytes.count >= 4 else {
            content.truncated = !bytes.isEmpty
            content.version = String(decoding: bytes, as: UTF8.self)
            return content
        }
        content.version = String(decoding: bytes[0..<4], as: UTF8.self)
        var at = 4
        func u32(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        while at < bytes.count {
            let start = at
            switch bytes[at] {
            case 1:
                guard at + 5 <= bytes.count else {
                    content.truncated = true
                    return content
                }
                let size = Int(u32(at + 1))
                guard size % 2 == 0 else {
                    content.malformed = "odd audio chunk size \(size) at byte \(at)"
                    return content
                }
                guard at + 5 + size <= bytes.count else {
                    content.truncated = true
                    return content
                }
                var index = at + 5
                while index < at + 5 + size {
                    content.samples.append(Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8))
                    index += 2
                }
                content.audioChunks += 1
                at += 5 + size
            case 2:
                guard at + 14 <= bytes.count else {
                    content.truncated = true
                    return content
                }
                let length = Int(u32(at + 10))
                guard at + 14 + length <= bytes.count else {
                    content.truncated = true
                    return content
                }
                content.events.append(
                    Event(
                        type: bytes[at + 1], rangeStart: u32(at + 2), rangeEnd: u32(at + 6),
                        name: String(decoding: bytes[(at + 14)..<(at + 14 + length)], as: UTF8.self),
                        atSample: content.samples.count))
                at += 14 + length
            default:
                content.malformed = "unknown chunk type \(bytes[at]) at byte \(at)"
                return content
            }
            content.largestChunk = max(content.largestChunk, at - start)
        }
        return content
    }
}
