import Foundation
import HeraldAudioDecoding
import HeraldCore
import HeraldTesting
import Testing

@testable import HeraldAudio

/// MP3Decoder against real MP3 files encoded by `lame` at test time, from
/// WAVs made by sox (tones) and espeak-ng (speech).
struct MP3DecoderTests {
    /// Encodes with lame at 96 kbit/s or more: at lower rates the first frame is too
    /// small for the LAME tag, and without its delay and padding the decoder
    /// cannot trim the encoder's ~70 ms of extra samples (gapless decoding).
    ///
    /// A temporary folder holding `name.wav` made by `makeWAV` and its `lame` encoding.
    struct Fixture {
        let wav: WAVFile
        let mp3: [UInt8]
    }

    static func encode(_ name: String, lameOptions: [String] = [], makeWAV: (String) async throws -> CommandResult?) async throws
        -> Fixture
    {
        let folder = NSTemporaryDirectory() + "herald-mp3-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wavPath = "\(folder)/\(name).wav"
        let mp3Path = "\(folder)/\(name).mp3"
        let made = try #require(try await makeWAV(wavPath), "the WAV tool is not installed")
        try #require(made.status == 0, "\(made)")
        let encoded = try #require(
            try await runCommand("/usr/bin/lame", ["--quiet", "-b", "96"] + lameOptions + [wavPath, mp3Path]),
            "lame is not installed (packaging/install-deps.sh installs it)")
        try #require(encoded.status == 0, "\(encoded)")
        return Fixture(wav: try WAVFile(path: wavPath), mp3: [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp3Path))))
    }

    static func rms(_ chunks: [AudioChunk]) -> Double {
        let count = chunks.reduce(0) { $0 + $1.samples.count }
        guard count > 0 else { return 0 }
        let sum = chunks.reduce(0.0) { total, chunk in chunk.samples.reduce(total) { $0 + Double($1) * Double($1) } }
        return (sum / Double(count)).squareRoot() / Double(Int16.max)
    }

    static func seconds(_ chunks: [AudioChunk]) -> Double {
        chunks.reduce(0.0) { $0 + $1.format.seconds(frames: $1.frameCount) }
    }

    @Test(arguments: [(24_000, 1), (44_100, 2), (22_050, 1)])
    func toneDecodesToItsLength(rate: Int, channels: Int) async throws {
        let fixture = try await Self.encode("tone") { path in
            try await runCommand(
                "/usr/bin/sox", ["-n", "-r", "\(rate)", "-c", "\(channels)", "-b", "16", path, "synth", "1.7", "sine", "523", "vol", "0.5"])
        }
        let chunks = try MP3Decoder.decode(fixture.mp3)
        let format = try #require(chunks.first?.format)
        #expect(chunks.allSatisfy { $0.format == format })
        #expect(format.channels == channels)
        let seconds = Self.seconds(chunks)
        print("tone \(rate) Hz × \(channels): WAV \(fixture.wav.seconds) s, MP3 \(fixture.mp3.count) bytes → \(seconds) s at \(format)")
        #expect(abs(seconds - fixture.wav.seconds) <= 0.060)
        #expect(Self.rms(chunks) > 0.2)
    }

    @Test func speechDecodesToItsLength() async throws {
        let fixture = try await Self.encode("speech") { path in
            try await runCommand("/usr/bin/espeak-ng", ["-w", path, "Herald reads this sentence aloud from an MP3 file."])
        }
        let chunks = try MP3Decoder.decode(fixture.mp3)
        let seconds = Self.seconds(chunks)
        print("speech: WAV \(fixture.wav.seconds) s at \(fixture.wav.sampleRate) Hz → MP3 \(seconds) s")
        #expect(chunks.first?.format.sampleRate == fixture.wav.sampleRate)
        #expect(abs(seconds - fixture.wav.seconds) <= 0.060)
        #expect(Self.rms(chunks) > 0.02)
    }

    @Test(arguments: [
        Array("<html><body>502 Bad Gateway</body></html>".utf8),
        Array(#"{"errors":[{"code":5004,"message":"Invalid data"}],"success":false}"#.utf8),
        [UInt8](repeating: 0, count: 4096),
        [],
    ])
    func garbageIsNotMP3(bytes: [UInt8]) {
        #expect(throws: MP3DecodeError.self) { try MP3Decoder.decode(bytes) }
        do {
            _ = try MP3Decoder.decode(bytes)
        } catch {
            #expect(error.kind == .notMP3)
        }
    }

    @Test func truncatedFileDeliversWhatItHoldsThenReports() async throws {
        let fixture = try await Self.encode("long") { path in
            try await runCommand("/usr/bin/sox", ["-n", "-r", "24000", "-c", "1", "-b", "16", path, "synth", "2", "sine", "440", "vol", "0.5"])
        }
        // Cut in the middle of the stream, which lands inside a frame.
        let cut = Array(fixture.mp3.prefix(fixture.mp3.count / 2 + 17))
        var chunks: [AudioChunk] = []
        var failure: MP3DecodeError?
        do {
            try MP3Decoder.decode(cut) { chunks.append($0) }
        } catch {
            failure = error
        }
        let seconds = Self.seconds(chunks)
        print("truncated: \(cut.count) of \(fixture.mp3.count) bytes → \(seconds) s, then \(failure.map(String.init(describing:)) ?? "no error")")
        #expect(failure?.kind == .truncated)
        #expect(seconds > 0.5 && seconds < 1.5)
        #expect(Self.rms(chunks) > 0.2)
    }

    @Test func sniffing() {
        #expect(MP3Decoder.looksLikeMP3(Array("ID3\u{4}".utf8)))
        #expect(MP3Decoder.looksLikeMP3([0xFF, 0xFB, 0x90, 0x00]))
        #expect(!MP3Decoder.looksLikeMP3(Array("RIFF".utf8)))
        #expect(!MP3Decoder.looksLikeMP3([0xFF]))
    }
}
