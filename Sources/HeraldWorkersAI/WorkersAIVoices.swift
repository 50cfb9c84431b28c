public import HeraldCore

extension WorkersAIModel {
    /// The model's speakers as Herald voices: id `model:speaker`, so a voice id
    /// names one engine and one speaker.
    public var voices: [Voice] {
        speakers.map { Voice(id: voiceID(for: $0.name), name: $0.name, language: $0.language, engine: name, gender: $0.gender) }
    }

    public func voiceID(for speaker: String) -> String { "\(name):\(speaker)" }

    /// The speaker a client's voice choice names on this model, if it names one.
    func speaker(forVoiceID id: String?) -> String? {
        guard let id, id.hasPrefix(name + ":") else { return nil }
        let speaker = String(id.dropFirst(name.count + 1))
        return self.speaker(named: speaker)?.name
    }
}

extension WorkersAIModel {
    /// Refuses a speaker the model does not document (any goes for the models
    /// the reference does not document further).
    public func check(speaker: String?) throws(EngineError) {
        guard let speaker, !speakers.isEmpty, self.speaker(named: speaker) == nil else { return }
        throw EngineError(
            .configuration, engine: name,
            "\(name) has no speaker \"\(speaker)\"; choose one of: \(speakers.map(\.name).joined(separator: " "))")
    }
}
