import HeraldCore
import HeraldWorkersAI
import Testing

@testable import HeraldSSIP

/// SSIP's symbolic voices name the same voices as D-Bus's `voice` option: a
/// speaker of the first engine with gendered voices in the language.
struct VoiceTypeTests {
    let catalog = VoiceCatalog(
        voices: WorkersAIModel.aura2English.voices + WorkersAIModel.aura2Spanish.voices + [
            Voice(id: "espeak-ng:de", name: "German", language: "de", engine: "espeak-ng")
        ],
        outputModules: [])

    @Test(arguments: [
        (VoiceType.male1, "en", "@cf/deepgram/aura-2-en:apollo"),
        (.male2, "en-US", "@cf/deepgram/aura-2-en:arcas"),
        (.female1, "en", "@cf/deepgram/aura-2-en:amalthea"),
        (.female2, "en", "@cf/deepgram/aura-2-en:andromeda"),
        (.childFemale, "en", "@cf/deepgram/aura-2-en:amalthea"),
        (.male1, "es", "@cf/deepgram/aura-2-es:sirio"),
        (.female3, "es-MX", "@cf/deepgram/aura-2-es:diana"),
        (.childMale, "es", "@cf/deepgram/aura-2-es:sirio"),
    ])
    func typesPickSpeakersOfTheLanguage(type: VoiceType, language: String, voice: String) {
        #expect(catalog.voiceID(for: type, language: language) == voice)
    }

    @Test func aLanguageWithoutGenderedVoicesKeepsItsDefault() {
        #expect(catalog.voiceID(for: .female1, language: "de") == nil)
    }
}
