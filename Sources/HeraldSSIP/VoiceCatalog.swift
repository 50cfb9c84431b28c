internal import HeraldCore

/// The voices and output modules SSIP clients can choose from, and how SSIP's
/// ways of naming a voice map onto Herald's `Voice`.
struct VoiceCatalog: Sendable {
    let voices: [Voice]
    /// `LIST OUTPUT_MODULES`: the engine names, in fallback order.
    let outputModules: [String]

    /// A voice by `Voice.name` (what `LIST SYNTHESIS_VOICES` shows) or by
    /// `Voice.id`, case-insensitively: clients echo the listed name back.
    func voice(named name: String) -> Voice? {
        let key = name.lowercased()
        return voices.first { $0.name.lowercased() == key } ?? voices.first { $0.id.lowercased() == key }
    }

    /// The voice with this id, if any engine offers it.
    func voice(id: String) -> Voice? { voices.first { $0.id == id } }

    /// `LIST SYNTHESIS_VOICES [language [variant]]`: the module's voices whose
    /// language is `language` or a region of it (`en` lists `en-us` too). A
    /// variant narrows to `language-variant` when such voices exist (Orca
    /// asks with its locale's region) and is ignored when none do, since
    /// Herald's voices carry no variants.
    func synthesisVoices(module: String?, language: String?, variant: String?) -> [Voice] {
        var list = voices
        if let module, voices.contains(where: { $0.engine == module }) { list = list.filter { $0.engine == module } }
        guard let language, !language.isEmpty else { return list }
        let inLanguage = list.filter { Self.language($0.language, isWithin: language) }
        guard let variant, !variant.isEmpty, variant.lowercased() != "none" else { return inLanguage }
        let narrowed = inLanguage.filter { Self.language($0.language, isWithin: "\(language)-\(variant)") }
        return narrowed.isEmpty ? inLanguage : narrowed
    }

    /// The line `LIST SYNTHESIS_VOICES` gives for a voice: name, language, variant.
    static func listLine(_ voice: Voice) -> String {
        let name = voice.name.replacing("\t", with: " ")
        let language = voice.language.isEmpty ? "none" : voice.language.replacing("\t", with: " ")
        return "\(name)\t\(language)\tnone"
    }

    /// The engine voice for an SSIP symbolic voice type, or nil for the
    /// language's default voice.
    ///
    /// espeak-ng (today's only engine) lists one voice per language, with no
    /// gender, so every type keeps the language's default, as Speech
    /// Dispatcher's espeak-ng module does for types it has no variant for.
    /// The type is still recorded for `GET VOICE_TYPE`. Engines with named
    /// speakers (cloud voices) can map types here once they are listed.
    func voiceID(for type: VoiceType, language: String?) -> String? {
        nil
    }

    /// True when `tag` is `range` or a subtag of it (`en-us` within `en`), ignoring case and `_`.
    static func language(_ tag: String, isWithin range: String) -> Bool {
        let tag = tag.lowercased().replacing("_", with: "-")
        let range = range.lowercased().replacing("_", with: "-")
        return tag == range || tag.hasPrefix(range + "-")
    }

    /// The primary language subtag (`en` of `en-US`).
    static func primary(_ tag: String) -> String {
        String(tag.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first ?? "")
    }
}
