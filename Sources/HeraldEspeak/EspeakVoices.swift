internal import CEspeakNG
internal import HeraldCore

/// The voices libespeak-ng has installed, and choosing one. Called on the espeak thread only.
enum EspeakVoices {
    /// Voice ids are `espeak-ng:` plus the voice file's identifier (`espeak-ng:gmw/en-US`).
    static let idPrefix = "espeak-ng:"

    static func list() -> [Voice] {
        guard let list = espeak_ListVoices(nil) else { return [] }
        var voices: [Voice] = []
        var index = 0
        while let entry = list[index] {
            index += 1
            let voice = entry.pointee
            guard let name = voice.name, let identifier = voice.identifier else { continue }
            voices.append(
                Voice(
                    id: idPrefix + String(cString: identifier), name: String(cString: name),
                    language: firstLanguage(voice.languages), engine: "espeak-ng"))
        }
        return voices
    }

    /// The `languages` field is priority byte, name, NUL, repeated; the first name is the main one.
    private static func firstLanguage(_ languages: UnsafePointer<CChar>?) -> String {
        guard let languages, languages.pointee != 0 else { return "" }
        return String(cString: languages + 1)
    }

    /// Selects by voice id or name when given, else by language. Returns false when nothing matched.
    static func select(voice: String?, language: String?) -> Bool {
        if let voice {
            let name = voice.hasPrefix(idPrefix) ? String(voice.dropFirst(idPrefix.count)) : voice
            if espeak_SetVoiceByName(name) == EE_OK { return true }
            if let file = name.split(separator: "/").last, espeak_SetVoiceByName(String(file)) == EE_OK { return true }
            if language == nil { return false }
        }
        let code = (language ?? "en").lowercased()
        return code.withCString { code in
            var spec = espeak_VOICE()
            spec.languages = code
            return espeak_SetVoiceByProperties(&spec) == EE_OK
        }
    }
}
