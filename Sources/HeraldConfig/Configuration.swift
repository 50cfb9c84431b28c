public import HeraldWorkersAI

/// Herald's settings, as the README's "Configuration" section describes the file.
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
        /// Streaming sample rate (WebSocket) or the rate asked of a POST; nil: 24000.
        public var sampleRate: Int?
        /// WebSocket connections per speaker (1…15); nil: 3. Deepgram's
        /// per-minute budgets are per connection.
        public var connections: Int?

        public init(
            model: String, transport: String? = nil, speaker: String? = nil, language: String? = nil, sampleRate: Int? = nil,
            connections: Int? = nil
        ) {
            self.model = model
            self.transport = transport
            self.speaker = speaker
            self.language = language
            self.sampleRate = sampleRate
            self.connections = connections
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
        /// No audio for this long (after a request, or between frames) moves the
        /// utterance to the next engine.
        public var stallTimeout: Duration = .milliseconds(2_500)
        /// How long a failing engine rests when the service gave no `retry-after`.
        public var cooldown: Duration = .seconds(30)
        /// Deepgram's per-connection budgets, as the service keeps them; not read
        /// from the file: tests shorten the window to show the limits in seconds.
        public var deepgramLimits = DeepgramLimits.service
        /// The config file that holds `api_token` although other users can
        /// read it (set by `Configuration.load`). Such a token is refused, as a
        /// token file others can read is: the cloud voices stay off until the
        /// file is made private.
        public var apiTokenFileTooOpen: String?

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
    /// The voice to speak a language with when a message names the language
    /// but no voice (`[voices]`, language tag → voice id).
    public var defaultVoices: [String: String] = [:]
    public var audioDevice = "default"
    /// nil: `$XDG_RUNTIME_DIR/herald/ssip.sock`.
    public var ssipSocket: String?
    public var speechdCompat = false
    /// `[text] lexicon`: the pronunciation lexicon; nil:
    /// `$XDG_CONFIG_HOME/herald/lexicon.toml`, where a missing file means none.
    public var lexicon: String?
    /// `[text] detect_script`: words in another script than the message's
    /// language reads go to a voice of that script's language.
    public var detectScript = true

    public init() {}
}
