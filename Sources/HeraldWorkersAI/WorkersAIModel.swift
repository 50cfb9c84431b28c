public import HeraldCore

/// One Workers AI text-to-speech model, as `docs/workers-ai.md` lists it:
/// which transports it offers and which speakers it knows.
///
/// The catalogue is data, not code paths, so that the config checker, the
/// voice list and the engines agree on one table.
public struct WorkersAIModel: Sendable, Hashable, CustomStringConvertible {
    /// A voice of a model, with the language it speaks (BCP 47).
    public struct Speaker: Sendable, Hashable {
        public let name: String
        public let language: String
        /// As Deepgram's voice gallery presents the speaker; nil when it does not.
        public let gender: Voice.Gender?

        public init(name: String, language: String, gender: Voice.Gender? = nil) {
            self.name = name
            self.language = language
            self.gender = gender
        }
    }

    /// Which request body and answer the model uses over POST.
    public enum Family: Sendable, Hashable {
        /// Deepgram Aura: `{"text","speaker",…}`, binary audio back.
        case aura
        /// MeloTTS: `{"prompt","lang"}`, base64 MP3 in JSON (or binary MP3) back.
        case melo
    }

    /// The model id as it appears in the URL and the config (`@cf/deepgram/aura-2-en`).
    public let name: String
    public let family: Family
    public let supportsPost: Bool
    public let supportsWebSocket: Bool
    /// Empty for the WebSocket-only models the reference does not document further.
    public let speakers: [Speaker]
    /// What the service uses when no speaker is sent; nil when undocumented.
    public let defaultSpeaker: String?

    public init(
        name: String, family: Family, supportsPost: Bool, supportsWebSocket: Bool, speakers: [Speaker],
        defaultSpeaker: String?
    ) {
        self.name = name
        self.family = family
        self.supportsPost = supportsPost
        self.supportsWebSocket = supportsWebSocket
        self.speakers = speakers
        self.defaultSpeaker = defaultSpeaker
    }

    public var description: String { name }

    /// The speaker called `name`, if the model documents it.
    public func speaker(named name: String) -> Speaker? { speakers.first { $0.name == name } }

    /// `names` in the reference's order, each with its gender from `female`.
    private static func speakers(_ language: String, _ names: String, female: String) -> [Speaker] {
        let women = Set(female.split(separator: " "))
        return names.split(separator: " ").map {
            Speaker(name: String($0), language: language, gender: women.contains($0) ? .female : .male)
        }
    }

    public static let aura = WorkersAIModel(
        name: "@cf/deepgram/aura", family: .aura, supportsPost: false, supportsWebSocket: true, speakers: [],
        defaultSpeaker: nil)
    public static let aura1 = WorkersAIModel(
        name: "@cf/deepgram/aura-1", family: .aura, supportsPost: true, supportsWebSocket: true,
        speakers: speakers(
            "en", "angus asteria arcas orion orpheus athena luna zeus perseus helios hera stella",
            female: "asteria athena luna hera stella"),
        defaultSpeaker: "angus")
    public static let aura1Internal = WorkersAIModel(
        name: "@cf/deepgram/aura-1-internal", family: .aura, supportsPost: false, supportsWebSocket: true,
        speakers: [], defaultSpeaker: nil)
    public static let aura2 = WorkersAIModel(
        name: "@cf/deepgram/aura-2", family: .aura, supportsPost: false, supportsWebSocket: true, speakers: [],
        defaultSpeaker: nil)
    public static let aura2English = WorkersAIModel(
        name: "@cf/deepgram/aura-2-en", family: .aura, supportsPost: true, supportsWebSocket: true,
        speakers: speakers(
            "en",
            "amalthea andromeda apollo arcas aries asteria athena atlas aurora callista cora cordelia delia draco "
                + "electra harmonia helena hera hermes hyperion iris janus juno jupiter luna mars minerva neptune "
                + "odysseus ophelia orion orpheus pandora phoebe pluto saturn thalia theia vesta zeus",
            female: "amalthea andromeda asteria athena aurora callista cora cordelia delia electra harmonia helena hera iris "
                + "janus juno luna minerva ophelia pandora phoebe thalia theia vesta"),
        defaultSpeaker: "luna")
    public static let aura2Spanish = WorkersAIModel(
        name: "@cf/deepgram/aura-2-es", family: .aura, supportsPost: true, supportsWebSocket: true,
        speakers: speakers(
            "es", "sirio nestor carina celeste alvaro diana aquila selena estrella javier",
            female: "carina celeste diana selena estrella"),
        defaultSpeaker: "aquila")
    /// MeloTTS has no named speakers: its `lang` picks the voice, so each language is a speaker.
    public static let meloTTS = WorkersAIModel(
        name: "@cf/myshell-ai/melotts", family: .melo, supportsPost: true, supportsWebSocket: false,
        speakers: ["en", "es", "fr", "zh", "ja", "ko"].map { Speaker(name: $0, language: $0) },
        defaultSpeaker: "en")

    /// Every model of the reference table, in its order.
    public static let all: [WorkersAIModel] = [aura, aura1, aura1Internal, aura2, aura2English, aura2Spanish, meloTTS]

    /// The catalogue entry for a config `model` value.
    public static func named(_ name: String) -> WorkersAIModel? { all.first { $0.name == name } }
}
