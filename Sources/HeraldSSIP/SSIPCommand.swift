internal import HeraldCore

/// Whom a control or SET command concerns: `self`, `all`, or a connection's numeric id.
enum SSIPTarget: Sendable, Equatable {
    case current
    case all
    case client(Int)
}

/// The event notifications a client can switch (`SET self NOTIFICATION …`).
struct NotificationSet: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let begin = NotificationSet(rawValue: 1 << 0)
    static let end = NotificationSet(rawValue: 1 << 1)
    static let cancel = NotificationSet(rawValue: 1 << 2)
    static let pause = NotificationSet(rawValue: 1 << 3)
    static let resume = NotificationSet(rawValue: 1 << 4)
    static let indexMarks = NotificationSet(rawValue: 1 << 5)
    static let all: NotificationSet = [.begin, .end, .cancel, .pause, .resume, .indexMarks]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(word: String) {
        switch word.lowercased() {
        case "all": self = .all
        case "begin": self = .begin
        case "end": self = .end
        case "cancel": self = .cancel
        case "pause": self = .pause
        case "resume": self = .resume
        case "index_marks": self = .indexMarks
        default: return nil
        }
    }
}

/// SSIP's symbolic voices (`LIST VOICES`, `SET … VOICE_TYPE`).
enum VoiceType: String, Sendable, CaseIterable {
    case male1 = "MALE1"
    case male2 = "MALE2"
    case male3 = "MALE3"
    case female1 = "FEMALE1"
    case female2 = "FEMALE2"
    case female3 = "FEMALE3"
    case childMale = "CHILD_MALE"
    case childFemale = "CHILD_FEMALE"

    init?(word: String) { self.init(rawValue: word.uppercased()) }
}

/// A `SET` parameter with its already validated value.
enum SSIPSetting: Sendable, Equatable {
    case clientName(String)
    case priority(Priority)
    case rate(Int)
    case pitch(Int)
    case pitchRange(Int)
    case volume(Int)
    case voiceType(VoiceType)
    case synthesisVoice(String)
    case language(String)
    case punctuation(PunctuationMode)
    case spelling(Bool)
    case capitalLetters(CapitalLetterMode)
    case ssmlMode(Bool)
    case outputModule(String)
    case notification(NotificationSet, Bool)
    case debug(Bool)
    case pauseContext(Int)

    /// What `BLOCK BEGIN` … `BLOCK END` may change (ssip.info, "Blocks of Messages Commands").
    var isAllowedInsideBlock: Bool {
        switch self {
        case .rate, .pitch, .volume, .voiceType, .synthesisVoice, .language, .punctuation, .capitalLetters: true
        default: false
        }
    }
}

/// The `LIST` requests.
enum SSIPListRequest: Sendable, Equatable {
    case outputModules
    case voices
    case synthesisVoices(language: String?, variant: String?)
}

/// One parsed SSIP command line.
enum SSIPCommand: Sendable, Equatable {
    case speak
    case char(String)
    case key(String)
    case soundIcon(String)
    case stop(SSIPTarget)
    case cancel(SSIPTarget)
    case pause(SSIPTarget)
    case resume(SSIPTarget)
    case set(SSIPTarget, SSIPSetting)
    case get(String)
    case list(SSIPListRequest)
    case blockBegin
    case blockEnd
    case historyClientID
    case help
    case quit

    /// Commands allowed between `BLOCK BEGIN` and `BLOCK END` (a nested
    /// `BLOCK BEGIN` passes here to get its own `330` answer).
    var isAllowedInsideBlock: Bool {
        switch self {
        case .speak, .char, .key, .soundIcon, .quit, .blockBegin, .blockEnd: true
        case .set(.current, let setting): setting.isAllowedInsideBlock
        default: false
        }
    }
}

extension SSIPCommand {
    /// Parses one command line (without its line ending). Pure: the session
    /// state (block, client ids) is applied by the caller. The error is the
    /// reply to send.
    static func parse(_ line: String) -> Result<SSIPCommand, SSIPReply> {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first?.uppercased() else { return .failure(.invalidCommand) }
        let arguments = Array(words.dropFirst())
        switch verb {
        case "SPEAK": return .success(.speak)
        case "CHAR":
            // The rest of the line: `CHAR \` and `CHAR &` are single characters;
            // a space is sent as the word `space`.
            guard let rest = restOfLine(line, after: 1), !rest.isEmpty else { return .failure(.missingParameter) }
            if rest.lowercased() == "space" { return .success(.char(" ")) }
            guard rest.count == 1 else { return .failure(.parameterInvalid) }
            return .success(.char(rest))
        case "KEY":
            guard let name = arguments.first else { return .failure(.missingParameter) }
            return .success(.key(name))
        case "SOUND_ICON":
            guard let name = arguments.first else { return .failure(.missingParameter) }
            return .success(.soundIcon(name))
        case "STOP", "CANCEL", "PAUSE", "RESUME":
            guard let word = arguments.first else { return .failure(.missingParameter) }
            guard let target = parseTarget(word) else { return .failure(.parameterInvalid) }
            switch verb {
            case "STOP": return .success(.stop(target))
            case "CANCEL": return .success(.cancel(target))
            case "PAUSE": return .success(.pause(target))
            default: return .success(.resume(target))
            }
        case "SET": return parseSet(line, arguments)
        case "GET":
            guard let name = arguments.first else { return .failure(.missingParameter) }
            return .success(.get(name.uppercased()))
        case "LIST":
            guard let what = arguments.first?.uppercased() else { return .failure(.missingParameter) }
            switch what {
            case "OUTPUT_MODULES": return .success(.list(.outputModules))
            case "VOICES": return .success(.list(.voices))
            case "SYNTHESIS_VOICES":
                return .success(
                    .list(
                        .synthesisVoices(language: arguments.dropFirst().first, variant: arguments.dropFirst(2).first)))
            default: return .failure(.parameterInvalid)
            }
        case "BLOCK":
            guard let what = arguments.first?.uppercased() else { return .failure(.missingParameter) }
            switch what {
            case "BEGIN": return .success(.blockBegin)
            case "END": return .success(.blockEnd)
            default: return .failure(.parameterInvalid)
            }
        case "HISTORY":
            guard arguments.count >= 2 else { return .failure(.missingParameter) }
            // Herald keeps no history of what was spoken (what users read is
            // private; Speech Dispatcher issue 335), so only the client id is answered.
            guard arguments[0].uppercased() == "GET", arguments[1].uppercased() == "CLIENT_ID" else {
                return .failure(.parameterInvalid)
            }
            return .success(.historyClientID)
        case "HELP": return .success(.help)
        case "QUIT": return .success(.quit)
        default: return .failure(.invalidCommand)
        }
    }

    private static func parseTarget(_ word: String) -> SSIPTarget? {
        switch word.lowercased() {
        case "self": return .current
        case "all": return .all
        default:
            guard let id = Int(word), id > 0 else { return nil }
            return .client(id)
        }
    }

    /// The text after the first `count` words, with its inner spaces kept
    /// (voice names such as `English (America)` contain spaces).
    private static func restOfLine(_ line: String, after count: Int) -> String? {
        var rest = Substring(line)
        for _ in 0..<count {
            rest = rest.drop { $0 == " " }
            guard let space = rest.firstIndex(of: " ") else { return nil }
            rest = rest[space...]
        }
        rest = rest.drop { $0 == " " }
        while rest.last == " " { rest = rest.dropLast() }
        return String(rest)
    }

    private static func parseSet(_ line: String, _ arguments: [String]) -> Result<SSIPCommand, SSIPReply> {
        guard arguments.count >= 2 else { return .failure(.missingParameter) }
        guard let target = parseTarget(arguments[0]) else { return .failure(.parameterInvalid) }
        let name = arguments[1].uppercased()
        guard arguments.count >= 3, let value = restOfLine(line, after: 3), !value.isEmpty else {
            return .failure(.missingParameter)
        }
        let word = arguments[2]

        func number(_ tooLow: SSIPReply, _ tooHigh: SSIPReply, _ make: (Int) -> SSIPSetting) -> Result<
            SSIPCommand, SSIPReply
        > {
            guard let number = Int(word) else { return .failure(.notANumber) }
            if number < -100 { return .failure(tooLow) }
            if number > 100 { return .failure(tooHigh) }
            return .success(.set(target, make(number)))
        }
        func onOff(_ make: (Bool) -> SSIPSetting) -> Result<SSIPCommand, SSIPReply> {
            switch word.lowercased() {
            case "on": return .success(.set(target, make(true)))
            case "off": return .success(.set(target, make(false)))
            default: return .failure(.notOnOrOff)
            }
        }

        switch name {
        case "CLIENT_NAME":
            // libspeechd quotes the name (`"user:spd-say:main"`); the Python client does not.
            var name = value
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            return .success(.set(target, .clientName(name)))
        case "PRIORITY":
            guard let priority = Priority(word: word) else { return .failure(.unknownPriority) }
            return .success(.set(target, .priority(priority)))
        case "RATE": return number(.rateTooLow, .rateTooHigh, SSIPSetting.rate)
        case "PITCH": return number(.pitchTooLow, .pitchTooHigh, SSIPSetting.pitch)
        case "PITCH_RANGE": return number(.pitchRangeTooLow, .pitchRangeTooHigh, SSIPSetting.pitchRange)
        case "VOLUME": return number(.volumeTooLow, .volumeTooHigh, SSIPSetting.volume)
        // `VOICE` is the old name of `VOICE_TYPE`, still in ssip.info's block example.
        case "VOICE_TYPE", "VOICE":
            guard let type = VoiceType(word: word) else { return .failure(.parameterInvalid) }
            return .success(.set(target, .voiceType(type)))
        case "SYNTHESIS_VOICE": return .success(.set(target, .synthesisVoice(value)))
        case "LANGUAGE": return .success(.set(target, .language(word)))
        case "PUNCTUATION":
            guard let mode = PunctuationMode(rawValue: word.lowercased()) else { return .failure(.parameterInvalid) }
            return .success(.set(target, .punctuation(mode)))
        case "SPELLING": return onOff(SSIPSetting.spelling)
        case "CAP_LET_RECOGN":
            guard let mode = CapitalLetterMode(rawValue: word.lowercased()) else { return .failure(.parameterInvalid) }
            return .success(.set(target, .capitalLetters(mode)))
        case "SSML_MODE": return onOff(SSIPSetting.ssmlMode)
        case "OUTPUT_MODULE": return .success(.set(target, .outputModule(word)))
        case "NOTIFICATION":
            guard let kinds = NotificationSet(word: word) else { return .failure(.parameterInvalid) }
            guard arguments.count >= 4 else { return .failure(.missingParameter) }
            switch arguments[3].lowercased() {
            case "on": return .success(.set(target, .notification(kinds, true)))
            case "off": return .success(.set(target, .notification(kinds, false)))
            default: return .failure(.notOnOrOff)
            }
        case "DEBUG": return onOff(SSIPSetting.debug)
        case "PAUSE_CONTEXT":
            guard let number = Int(word) else { return .failure(.notANumber) }
            return .success(.set(target, .pauseContext(number)))
        default: return .failure(.parameterInvalid)
        }
    }
}
