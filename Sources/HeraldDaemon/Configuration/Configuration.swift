/// Herald's settings, as DESIGN.md's config file describes them.
///
/// No file at all is valid: espeak-ng alone on ALSA `default`.
public struct Configuration: Sendable, Equatable {
    /// One `[[engine]]` table: the order of the file is the fallback order.
    public struct Engine: Sendable, Equatable {
        public var model: String
        /// `websocket` or `post`; nil takes the model's preferred transport.
        public var transport: String?
        public var speaker: String?
        /// BCP 47 language the engine serves, for language routing.
        public var language: String?

        public init(model: String, transport: String? = nil, speaker: String? = nil, language: String? = nil) {
            self.model = model
            self.transport = transport
            self.speaker = speaker
            self.language = language
        }

        public var isOffline: Bool { model == Configuration.offlineModel }
    }

    /// Where Workers AI credentials come from. The token itself is never
    /// printed: `description` hides it.
    public struct Cloudflare: Sendable, Equatable, CustomStringConvertible {
        public var accountID: String?
        public var apiToken: String?
        public var apiTokenFile: String?
        public var baseURL: String = "https://api.cloudflare.com/client/v4"

        public init() {}

        public var description: String {
            "Cloudflare(account: \(accountID == nil ? "unset" : "set"), token: \(apiToken == nil && apiTokenFile == nil ? "unset" : "set"), base: \(baseURL))"
        }
    }

    public static let offlineModel = "espeak-ng"

    public var cloudflare = Cloudflare()
    /// Never empty: espeak-ng is appended when the file does not list it, so
    /// the chain always ends in a voice that works offline.
    public var engines: [Engine] = [Engine(model: offlineModel)]
    public var audioDevice = "default"
    /// nil: `$XDG_RUNTIME_DIR/herald/ssip.sock`.
    public var ssipSocket: String?
    public var speechdCompat = false

    public init() {}
}
