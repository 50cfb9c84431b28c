import HeraldCore
import Logging
import HeraldTesting
import Testing

@testable import HeraldSpiel

/// The pieces that need no bus: the stream framing, format conversion, and
/// Spiel's pitch and rate on Herald's scales.
struct SpielFormatTests {
    @Test func framingDecodesAsLibspeechproviderReadsIt() {
        let samples = (0..<5000).map { Int16(truncatingIfNeeded: $0 * 7 - 16000) }
        let bytes = SpielStream.header + SpielStream.audioChunks(Array(samples[..<3000])).flatMap { $0 }
            + SpielStream.markEvent("middé") + SpielStream.audioChunks(Array(samples[3000...])).flatMap { $0 }
        let content = SpielStreamContent.decode(bytes)
        #expect(content.version == "0.01")
        #expect(content.malformed == nil && !content.truncated, "\(content)")
        #expect(content.samples == samples)
        #expect(content.events.count == 1)
        let mark = content.events.first
        #expect(mark?.type == 4 && mark?.rangeStart == 0 && mark?.rangeEnd == 0)
        #expect(mark?.name == "middé" && mark?.atSample == 3000)
        // Each chunk fits one atomic pipe write, so libspeechprovider's single read gets it whole.
        #expect(content.largestChunk <= 4096)
        #expect(content.audioChunks == 3)
    }

    @Test func aLongMarkNameIsCutToOneChunk() {
        let event = SpielStream.markEvent(String(repeating: "é", count: 3000))
        #expect(event.count <= 4096)
        #expect(SpielStreamContent.decode(SpielStream.header + event).marks.first?.count == (4096 - 14) / 2)
    }

    @Test func otherRatesAreResampledToTheAdvertisedOne() {
        let tone = AudioChunk(format: AudioFormat(sampleRate: 22050), samples: (0..<22050).map { Int16($0 % 100) })
        let converted = AudioConversion.convert(tone, to: AudioFormat(sampleRate: 24000))
        #expect(converted.count == 24000)
        let same = AudioConversion.convert(tone, to: AudioFormat(sampleRate: 22050))
        #expect(same == tone.samples)
        let stereo = AudioChunk(format: AudioFormat(sampleRate: 8000, channels: 2), samples: [100, 300, -100, -300])
        #expect(AudioConversion.convert(stereo, to: AudioFormat(sampleRate: 8000)) == [200, -200])
        #expect(AudioConversion.convert(stereo, to: AudioFormat(sampleRate: 16000)).count == 4)
    }

    @Test(arguments: [
        (1.0, 0), (0.5, -92), (0.1, -100), (2.0, 50), (3.0, 100), (10.0, 100),
    ])
    func rateKeepsTheSpeedFactorOfEspeakNG(spiel: Double, herald: Int) throws {
        #expect(try SpielProsody.rate(spiel) == herald)
    }

    /// Spiel's pitch is a frequency factor, Herald's level 2^(level/100) (espeak-ng's pitch table).
    @Test(arguments: [(1.0, 0), (0.0, -100), (0.5, -100), (2.0, 100), (1.25, 32), (1.5, 58)])
    func pitchKeepsTheFrequencyFactor(spiel: Double, herald: Int) throws {
        #expect(try SpielProsody.pitch(spiel) == herald)
    }

    @Test(arguments: [0.0, 0.09, 10.5, -1, .nan, .infinity])
    func ratesOutsideSpielsRangeAreRefused(rate: Double) {
        #expect(throws: (any Error).self) { try SpielProsody.rate(rate) }
    }

    @Test func voicesAdvertiseOnlyWhatTheirEngineDelivers() {
        let espeak = SpielVoice(
            voice: Voice(id: "espeak-ng:gmw/en", name: "English", language: "en", engine: "espeak-ng"),
            format: AudioFormat(sampleRate: 22050), marks: .exact)
        #expect(espeak.outputFormat == "audio/x-spiel,format=S16LE,channels=1,rate=22050")
        #expect(espeak.features.rawValue == 0x1 | 0x2 | 0x8 | 0x1000 | 0x2000)
        let cloud = SpielVoice(
            voice: Voice(id: "@cf/deepgram/aura-2-en:luna", name: "luna", language: "en", engine: "@cf/deepgram/aura-2-en"),
            format: AudioFormat(sampleRate: 24000), marks: .estimated)
        #expect(cloud.features == [.sentenceEvents, .ssmlSub], "cloud marks are estimated: no mark or word feature")
        #expect(cloud.languages == ["en"])
        let regional = SpielVoice(
            voice: Voice(id: "espeak-ng:gmw/en-US", name: "English (America)", language: "en-us", engine: "espeak-ng"),
            format: AudioFormat(sampleRate: 22050), marks: .exact)
        #expect(regional.languages == ["en-us", "en"])
    }
}

/// `org.freedesktop.Speech.Provider` as Herald serves it is the interface in
/// `dbus/org.freedesktop.Speech.Provider.xml` (what libspiel and Introspect
/// read): the same methods and argument types, properties and types.
struct SpielInterfaceContractTests {
    @Test func theProviderServesExactlyItsInterfaceXML() throws {
        let tone = ToneEngine(name: "tone")
        let provider = SpielProvider(
            engine: tone, voices: [], engines: [tone], preparer: TextPreparer(maxChunkCharacters: 500),
            logger: Logger(label: "test.contract"))
        let served = try InterfaceContract(exported: provider.object(), interface: SpielProvider.interface, signals: [:])
        let documented = try InterfaceContract(dbusFile: SpielProvider.interface)
        #expect(served == documented, "served:\n\(served)\n\ndbus/org.freedesktop.Speech.Provider.xml:\n\(documented)")
        #expect(documented.methods["Synthesize"]?.input == "hssddbs", "the XML was read: \(documented)")
    }
}
