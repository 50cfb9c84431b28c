internal import HeraldCore
internal import HeraldDBus

/// Turns D-Bus arguments into scheduler requests, with an error reply a
/// person can act on for anything malformed. Nothing here quotes spoken text.
enum Speech1Arguments {
    static let errorPrefix = "org.herald.Speech1.Error."

    /// The longest text one `Speak` may carry: a large book chapter. Longer is
    /// refused rather than held in memory.
    static let maxTextBytes = 16 << 20

    static func invalid(_ message: String) -> DBusError {
        DBusError(name: errorPrefix + "InvalidArgument", message: message)
    }

    static func priority(_ word: String) throws(DBusError) -> Priority {
        guard let priority = Priority(word: word) else {
            throw invalid("Unknown priority \"\(word.prefix(40))\"; use important, message, text, notification or progress.")
        }
        return priority
    }

    /// The client a message belongs to: the calling connection, or a named
    /// client (option `client`) whose messages outlive the connection.
    static func client(sender: String, name: String?) -> ClientID {
        if let name { return ClientID("named:" + name) }
        return ClientID("dbus:" + sender)
    }

    /// `self`, `all`, a decimal message id, or `client:NAME`.
    static func scope(_ word: String, sender: String) throws(DBusError) -> Scope {
        if word.hasPrefix("client:") {
            let name = String(word.dropFirst("client:".count))
            guard !name.isEmpty else { throw invalid("The scope \"client:\" needs a client name after the colon.") }
            return .client(client(sender: sender, name: name))
        }
        guard let scope = Scope(word: word, caller: client(sender: sender, name: nil)) else {
            throw invalid("Unknown scope \"\(word.prefix(40))\"; use self, all, a message id, or client:NAME.")
        }
        return scope
    }

    /// The settings and flags of `Speak`'s options.
    struct Options {
        var settings = VoiceSettings()
        var ssml = false
        var client: String?
        /// Whether the message's words are reported (`Range`); its sentences
        /// are carried either way, so it can be moved in.
        var ranges = true
    }

    static func options(_ options: [String: DBusValue], voices: [Voice]) throws(DBusError) -> Options {
        var parsed = Options()
        for (key, value) in options {
            let value = value.unwrapped
            switch key {
            case "voice":
                guard let voice = value.string else { throw invalid("The option voice must be a string (s).") }
                guard voices.contains(where: { $0.id == voice }) else {
                    throw DBusError(
                        name: errorPrefix + "UnknownVoice",
                        message: "No voice has the id \"\(voice.prefix(80))\"; ListVoices (or herald voices) lists them.")
                }
                parsed.settings.voice = voice
            case "language":
                guard let language = value.string, isLanguageTag(language) else {
                    throw invalid("The option language must be a BCP 47 tag such as \"en\" or \"es-419\".")
                }
                parsed.settings.language = language
            case "rate": parsed.settings.rate = try level(key, value)
            case "pitch": parsed.settings.pitch = try level(key, value)
            case "volume": parsed.settings.volume = try level(key, value)
            case "ssml":
                guard let flag = value.bool else { throw invalid("The option ssml must be a boolean (b).") }
                parsed.ssml = flag
            case "client":
                guard let name = value.string, !name.isEmpty, name.count <= 64 else {
                    throw invalid("The option client must be a name of 1 to 64 characters.")
                }
                parsed.client = name
            case "ranges":
                guard let flag = value.bool else { throw invalid("The option ranges must be a boolean (b).") }
                parsed.ranges = flag
            default:
                throw invalid(
                    "Unknown option \"\(key.prefix(40))\"; Speak takes voice, language, rate, pitch, volume, ssml, client and ranges.")
            }
        }
        return parsed
    }

    private static func level(_ key: String, _ value: DBusValue) throws(DBusError) -> Int {
        guard let number = value.int32 else { throw invalid("The option \(key) must be an integer (i) from -100 to 100.") }
        guard (-100...100).contains(number) else { throw invalid("The option \(key) is \(number); it must be from -100 to 100.") }
        return Int(number)
    }

    private static func isLanguageTag(_ tag: String) -> Bool {
        !tag.isEmpty && tag.count <= 35
            && tag.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty && part.count <= 8 && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            }
    }

    static func validate(text: String) throws(DBusError) {
        guard text.contains(where: { !$0.isWhitespace }) else { throw invalid("There is nothing to speak: the text is empty.") }
        guard text.utf8.count <= maxTextBytes else {
            throw invalid("The text is longer than 16 MiB; speak it in parts (herald speak --file reads files).")
        }
    }

    /// `Skip`'s unit.
    static func skipUnit(_ word: String) throws(DBusError) -> SkipUnit {
        guard let unit = SkipUnit(rawValue: word) else {
            throw invalid("Unknown unit \"\(word.prefix(40))\"; Skip moves by sentence or paragraph.")
        }
        return unit
    }

    /// A refused move as the interface's error.
    static func error(_ refusal: SkipRefusal) -> DBusError {
        let name =
            switch refusal {
            case .nothingSpeaking, .notFound, .notBegun: "NotSpeaking"
            case .foreign: "NotYours"
            case .notMovable: "NotMovable"
            }
        return DBusError(name: errorPrefix + name, message: refusal.description)
    }
}
