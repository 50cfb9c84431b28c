internal import Foundation

/// The audio the fake Workers AI answers with: WAV or raw PCM tones computed
/// here, and real MP3 frames encoded once by `lame`.
///
/// The MP3 is a long tone encoded without a Xing/Info header (`lame -t`) at a
/// constant bit rate, so a prefix of whole frames is itself a valid, shorter
/// MP3: one encoding serves every requested length, and cutting inside a
/// frame makes a truncated one.
struct FakeAudio: Sendable {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// The encoded tone and where each frame starts.
    let mp3: [UInt8]
    let frameStarts: [Int]
    let mp3SampleRate: Int
    let samplesPerFrame: Int

    static let toneSeconds = 20

    /// Encodes the tone with `sox` and `lame`; throws when either is missing.
    static func make() async throws -> FakeAudio {
        let folder = NSTemporaryDirectory() + "herald-fakeai-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wav = folder + "/tone.wav"
        let mp3 = folder + "/tone.mp3"
        guard
            let made = try await runCommand(
                "/usr/bin/sox", ["-n", "-r", "24000", "-c", "1", "-b", "16", wav, "synth", "\(toneSeconds)", "sine", "330", "vol", "0.5"]),
            made.status == 0
        else { throw Unavailable(description: "sox is needed to make the fake's audio (apt-get install sox)") }
        guard let encoded = try await runCommand("/usr/bin/lame", ["-t", "--cbr", "-b", "32", "--quiet", wav, mp3]),
            encoded.status == 0
        else { throw Unavailable(description: "lame is needed to make the fake's MP3 (apt-get install lame)") }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3)))
        var starts: [Int] = []
        var offset = 0
        var rate = 0
        var perFrame = 0
        while let frame = MPEGFrameHeader(bytes, at: offset) {
            starts.append(offset)
            rate = frame.sampleRate
            perFrame = frame.samplesPerFrame
            offset += frame.length
        }
        guard starts.count > 10 else { throw Unavailable(description: "lame wrote no MPEG frames the fake can cut") }
        return FakeAudio(mp3: bytes, frameStarts: starts, mp3SampleRate: rate, samplesPerFrame: perFrame)
    }

    /// Whole MP3 frames lasting at least `seconds`.
    func mp3(seconds: Double) -> [UInt8] {
        let frames = min(frameStarts.count, max(1, Int((seconds * Double(mp3SampleRate) / Double(samplesPerFrame)).rounded(.up))))
        let end = frames < frameStarts.count ? frameStarts[frames] : mp3.count
        return Array(mp3[0..<end])
    }

    /// `seconds` of MP3 cut in the middle of its last frame.
    func truncatedMP3(seconds: Double) -> [UInt8] {
        let whole = mp3(seconds: seconds + Double(samplesPerFrame) / Double(mp3SampleRate))
        let lastStart = frameStarts.last { $0 < whole.count } ?? 0
        return Array(whole[0..<(lastStart + (whole.count - lastStart) / 2)])
    }

    /// A 440 Hz tone of `seconds` as 16-bit little-endian mono PCM.
    static func pcm(seconds: Double, sampleRate: Int) -> [UInt8] {
        let count = Int(seconds * Double(sampleRate))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 2)
        for index in 0..<count {
            let value = UInt16(bitPattern: Int16(12_000 * sin(2 * Double.pi * 440 * Double(index) / Double(sampleRate))))
            bytes.append(UInt8(value & 0xFF))
            bytes.append(UInt8(value >> 8))
        }
        return bytes
    }

    /// The same tone in a WAV container.
    static func wav(seconds: Double, sampleRate: Int) -> [UInt8] {
        let data = pcm(seconds: seconds, sampleRate: sampleRate)
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        return Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + le16(1)
            + le16(1) + le32(sampleRate) + le32(sampleRate * 2) + le16(2) + le16(16) + Array("data".utf8)
            + le32(data.count) + data
    }
}

/// Just enough of an MPEG audio frame header to find where the next frame starts.
struct MPEGFrameHeader {
    let length: Int
    let sampleRate: Int
    let samplesPerFrame: Int

    init?(_ bytes: [UInt8], at offset: Int) {
        guard offset + 4 <= bytes.count, bytes[offset] == 0xFF, bytes[offset + 1] & 0xE0 == 0xE0 else { return nil }
        let version = (bytes[offset + 1] >> 3) & 0x3  // 3 = MPEG 1, 2 = MPEG 2, 0 = MPEG 2.5
        let layer = (bytes[offset + 1] >> 1) & 0x3  // 1 = layer III
        let bitrateIndex = Int(bytes[offset + 2] >> 4)
        let rateIndex = Int((bytes[offset + 2] >> 2) & 0x3)
        let padding = Int((bytes[offset + 2] >> 1) & 0x1)
        guard layer == 1, version != 1, (1...14).contains(bitrateIndex), rateIndex < 3 else { return nil }
        let mpeg1 = version == 3
        let bitrates = mpeg1
            ? [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
            : [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        let rates = [44_100, 48_000, 32_000]
        let rate = rates[rateIndex] / (mpeg1 ? 1 : version == 2 ? 2 : 4)
        samplesPerFrame = mpeg1 ? 1152 : 576
        sampleRate = rate
        length = (samplesPerFrame / 8) * bitrates[bitrateIndex] * 1000 / rate + padding
        guard length > 4 else { return nil }
    }
}
