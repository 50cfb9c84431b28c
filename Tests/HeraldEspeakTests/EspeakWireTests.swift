import HeraldEspeakProtocol
import Testing

/// The frames heraldd and herald-espeak exchange: what one side writes the
/// other reads back, however the bytes are split, and a broken peer is an
/// error, never a crash.
struct EspeakWireTests {
    func frames(_ bytes: [UInt8], splitEvery step: Int) throws -> [(kind: UInt8, body: ArraySlice<UInt8>)] {
        var buffer = EspeakFrameBuffer()
        var frames: [(kind: UInt8, body: ArraySlice<UInt8>)] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { buffer.append($0) }
            offset = end
            while let frame = try buffer.next() { frames.append(frame) }
        }
        return frames
    }

    /// The kinds come from the header the helper's C reads: each has its own
    /// byte, and each byte reads back as its kind (the helper's bytes are the
    /// same numbers, so the two sides cannot drift apart).
    @Test func everyKindHasItsOwnByteAndReadsBack() {
        let bytes = EspeakWire.Kind.allCases.map(\.rawValue)
        #expect(Set(bytes).count == bytes.count)
        for kind in EspeakWire.Kind.allCases { #expect(EspeakWire.Kind(rawValue: kind.rawValue) == kind) }
        #expect(EspeakWire.Kind(rawValue: 0x7f) == nil)
        #expect(EspeakWire.Kind.speak.rawValue == 1 && EspeakWire.Kind.ready.rawValue == 0x81)
    }

    @Test(arguments: [1, 3, 7, 4096])
    func aSpeakFrameAndSamplesComeBackWhateverTheSplit(step: Int) throws {
        var speak = EspeakFrameWriter(.speak)
        speak.append(UInt32(7))
        for value in [-100, 0, 55, 100] { speak.append(value) }
        speak.append("espeak-ng:gmw/en-US")
        speak.append("")
        speak.append("<speak>Grüße &amp; 👋</speak>")
        let samples: [Int16] = [0, 1, -1, .max, .min, 12345]
        var audio = EspeakFrameWriter(.audio)
        audio.append(UInt32(7))
        samples.withUnsafeBufferPointer { audio.append(samples: $0) }

        let read = try frames(speak.finish() + audio.finish(), splitEvery: step)
        try #require(read.count == 2)
        #expect(read[0].kind == EspeakWire.Kind.speak.rawValue)
        var reader = EspeakFrameReader(read[0].body)
        #expect(reader.uint32() == 7)
        #expect([reader.int32(), reader.int32(), reader.int32(), reader.int32()] == [-100, 0, 55, 100])
        #expect(reader.string() == "espeak-ng:gmw/en-US")
        #expect(reader.string() == "")
        #expect(reader.string() == "<speak>Grüße &amp; 👋</speak>")
        #expect(reader.remaining == 0)
        #expect(read[1].kind == EspeakWire.Kind.audio.rawValue)
        var audioReader = EspeakFrameReader(read[1].body)
        #expect(audioReader.uint32() == 7)
        #expect(audioReader.samples() == samples)
    }

    @Test func aShortFrameReadsAsMissingFields() {
        var reader = EspeakFrameReader([1, 0, 0, 0, 200, 0][...])
        #expect(reader.uint32() == 1)
        #expect(reader.string() == nil, "a string longer than the frame")
        #expect(reader.uint32() == nil)
    }

    @Test func anEmptyOrOversizedFrameIsAnError() {
        var empty = EspeakFrameBuffer()
        ([0, 0, 0, 0] as [UInt8]).withUnsafeBytes { empty.append($0) }
        #expect(throws: EspeakFrameBuffer.Failure.self) { try empty.next() }
        var huge = EspeakFrameBuffer()
        ([0xff, 0xff, 0xff, 0x7f, 1] as [UInt8]).withUnsafeBytes { huge.append($0) }
        #expect(throws: EspeakFrameBuffer.Failure.self) { try huge.next() }
    }
}
