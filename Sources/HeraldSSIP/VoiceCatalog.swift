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
        let inLanguage = list.filter { Voice.language($0.language, isWithin: language) }
        guard let variant, !variant.isEmpty, variant.lowercased() != "none" else { return inLanguage }
        let narrowed = inLanguage.filter { Voice.language($0.language, isWithin: "\(language)-\(variant)") }
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
    /// The first engine (in fallback order) with gendered voices in the
    /// language gives the speaker: `MALE1`…`MALE3` its first three male
    /// speakers, `FEMALE1`…`FEMALE3` its female ones (the last when it has
    /// fewer), and the child types the first of their gender, since no engine
    /// has child voices. espeak-ng lists its voices without gender, so with it
    /// alone every type keeps the language's default, as Speech Dispatcher's
    /// espeak-ng module does for types it has no variant for; the type is still
    /// recorded for `GET VOICE_TYPE`.
    func voiceID(for type: VoiceType, language: String?) -> String? {
        let gender: Voice.Gender
        let rank: Int
        switch type {
        case .male1, .childMale: (gender, rank) = (.male, 0)
        case .male2: (gender, rank) = (.male, 1)
        case .male3: (gender, rank) = (.male, 2)
        case .female1, .childFemale: (gender, rank) = (.female, 0)
        case .female2: (gender, rank) = (.female, 1)
        case .female3: (gender, rank) = (.female, 2)
        }
        let primary = Voice.primaryLanguage(language ?? "")
        let candidates = voices.filter { $0.gender != nil && (primary.isEmpty || Voice.primaryLanguage($0.language) == primary) }
        guard let engine = candidates.first?.engine else { return nil }
        let matching = candidates.filter { $0.engine == engine && $0.gender == gender }
        return matching.isEmpty ? nil : matching[min(rank, matching.count - 1)].id
    }
}
