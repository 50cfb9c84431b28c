internal import HeraldCore
internal import HeraldSystem
internal import Logging
internal import NIOCore

/// What every connection shares: the scheduler it queues to, the voices it
/// offers, the other sessions, and the limits that bound its memory.
struct SSIPServerContext: Sendable {
    let scheduler: Scheduler
    /// Replaced whole when the daemon reloads its config.
    let catalogInForce: Locked<VoiceCatalog>
    let registry: SessionRegistry
    let limits: SSIPService.Limits
    let logger: Logger

    /// The voices and modules as of now: a command sees one list throughout.
    var catalog: VoiceCatalog { catalogInForce.withLock { $0 } }
}

/// The protocol state of one connection: reads frames, runs commands one at
/// a time (SSIP is synchronous), and writes each reply through the session's
/// outbox. Used only by the connection's own task.
final class SSIPConnection {
    let session: Session
    let server: SSIPServerContext
    private var data: SpeakData?
    private var discardingLongLine = false

    init(session: Session, server: SSIPServerContext) {
        self.session = session
        self.server = server
    }

    private var logger: Logger {
        var logger = server.logger
        logger[metadataKey: "herald.ssip.client"] = "\(session.number)"
        return logger
    }

    /// Handles one frame; false when the client said QUIT and the connection should end.
    func receive(_ frame: SSIPFrame) async -> Bool {
        if var data {
            let finished = data.take(frame)
            guard finished else {
                self.data = data
                return true
            }
            self.data = nil
            session.outbox.beginCommand()
            let reply = await finishSpeak(data)
            session.outbox.endCommand(reply.wire, grace: grace(after: reply))
            return true
        }
        switch frame {
        case .fragment:
            discardingLongLine = true
            return true
        case .line(let buffer):
            session.outbox.beginCommand()
            if discardingLongLine {
                discardingLongLine = false
                logger.debug("command line too long; discarded")
                session.outbox.endCommand(SSIPReply.lineTooLong.wire)
                return true
            }
            guard let line = String(validating: buffer.readableBytesView, as: UTF8.self) else {
                session.outbox.endCommand(SSIPReply.invalidEncoding.wire)
                return true
            }
            let (reply, keepOpen) = await run(line)
            session.outbox.endCommand(reply.wire, grace: grace(after: reply))
            return keepOpen
        }
    }

    /// Events wait briefly after a reply that gives a message id (see `Outbox.endCommand`).
    private func grace(after reply: SSIPReply) -> Duration? {
        reply.code == 225 ? server.limits.eventGrace : nil
    }

    // MARK: Commands

    private func run(_ line: String) async -> (SSIPReply, keepOpen: Bool) {
        let command: SSIPCommand
        switch SSIPCommand.parse(line) {
        case .success(let parsed): command = parsed
        case .failure(let reply):
            logger.trace("refused a command", metadata: ["herald.ssip.reply": "\(reply.code)"])
            return (reply, true)
        }
        logger.trace("command", metadata: ["herald.ssip.command": "\(Self.summary(command))"])
        let settings = session.settings
        if settings.inBlock, !command.isAllowedInsideBlock { return (.notAllowedInsideBlock, true) }

        switch command {
        case .speak:
            data = SpeakData(limit: server.limits.maxMessageBytes)
            return (.receivingData, true)
        case .char(let character): return (await queue(.character(character)), true)
        case .key(let name): return (await queue(.key(name)), true)
        case .soundIcon(let name): return (await queue(.soundIcon(name)), true)
        case .stop(let target):
            if let scope = scope(target) { await server.scheduler.stop(scope) }
            return (.stopped, true)
        case .cancel(let target):
            if let scope = scope(target) { await server.scheduler.cancel(scope) }
            return (.canceled, true)
        case .pause(let target):
            if let scope = scope(target) { await server.scheduler.pause(scope) }
            return (.paused, true)
        case .resume(let target):
            if let scope = scope(target) { await server.scheduler.resume(scope) }
            return (.resumed, true)
        case .set(let target, let setting): return (set(setting, for: target), true)
        case .get(let name): return (get(name, settings), true)
        case .list(let request): return (list(request, settings), true)
        case .blockBegin:
            guard !settings.inBlock else { return (.alreadyInsideBlock, true) }
            session.update { $0.inBlock = true }
            return (.insideBlock, true)
        case .blockEnd:
            guard settings.inBlock else { return (.alreadyOutsideBlock, true) }
            session.update { $0.inBlock = false }
            return (.outsideBlock, true)
        case .historyClientID: return (.clientID(session.number), true)
        case .help: return (.helpSent(Self.help), true)
        case .quit: return (.bye, false)
        }
    }

    private func finishSpeak(_ data: SpeakData) async -> SSIPReply {
        guard !data.overflowed else {
            logger.info(
                "SPEAK data over the size limit; message discarded",
                metadata: ["herald.ssip.limit": "\(server.limits.maxMessageBytes)"])
            return .messageTooLong
        }
        guard let text = String(validating: data.bytes, as: UTF8.self) else { return .invalidEncoding }
        return await queue(session.settings.ssml ? .ssml(text) : .text(text))
    }

    /// Queues a message with a copy of the session's settings. Answers 225
    /// with the id even when the rules cancel it on arrival, as Speech
    /// Dispatcher does; the client learns that from the 703 event.
    private func queue(_ content: UtteranceContent) async -> SSIPReply {
        let settings = session.willQueue()
        let (id, arrival) = await server.scheduler.speak(
            content, priority: settings.priority, client: session.clientID, settings: settings.voice)
        session.didQueue(id, arrival: arrival, flags: settings.notifications)
        logger.debug("queued", metadata: ["herald.utterance.id": "\(id)", "herald.arrival": "\(arrival)"])
        return .messageQueued(id)
    }

    /// The scheduler scope for a control command. A numeric id names a
    /// connection (ssip.info 4.2); one that is gone has nothing to stop.
    private func scope(_ target: SSIPTarget) -> Scope? {
        switch target {
        case .current: .client(session.clientID)
        case .all: .all
        case .client(let number): server.registry.session(number: number).map { .client($0.clientID) }
        }
    }

    // MARK: SET

    private func set(_ setting: SSIPSetting, for target: SSIPTarget) -> SSIPReply {
        switch setting {
        case .clientName, .priority, .notification, .ssmlMode:
            guard target == .current else { return .parameterInvalid }
        default: break
        }
        var setting = setting
        switch setting {
        case .synthesisVoice(let name):
            guard let voice = server.catalog.voice(named: name) else { return .parameterInvalid }
            setting = .synthesisVoice(voice.id)
        case .outputModule(let name):
            guard let module = server.catalog.outputModules.first(where: { $0.lowercased() == name.lowercased() })
            else {
                return .parameterInvalid
            }
            setting = .outputModule(module)
        default: break
        }
        let sessions: [Session]
        switch target {
        case .current: sessions = [session]
        case .all: sessions = server.registry.all
        case .client(let number):
            guard let other = server.registry.session(number: number) else { return .noSuchClient }
            sessions = [other]
        }
        for session in sessions { session.update { apply(setting, to: &$0) } }
        return Self.reply(for: setting)
    }

    private func apply(_ setting: SSIPSetting, to settings: inout SessionSettings) {
        switch setting {
        case .clientName(let name): settings.clientName = name
        case .priority(let priority): settings.priority = priority
        case .rate(let value): settings.voice.rate = value
        case .pitch(let value): settings.voice.pitch = value
        case .pitchRange(let value): settings.voice.pitchRange = value
        case .volume(let value): settings.voice.volume = value
        case .voiceType(let type):
            settings.voiceType = type
            settings.voice.voice = server.catalog.voiceID(for: type, language: settings.voice.language)
        case .synthesisVoice(let id):
            // Choosing a voice chooses its language too (ssip.info, SYNTHESIS_VOICE).
            settings.voice.voice = id
            if let voice = server.catalog.voice(id: id), !voice.language.isEmpty {
                settings.voice.language = voice.language
            }
        case .language(let language):
            // A new language drops a chosen voice of another language
            // (ssip.info: LANGUAGE "may actually override" SYNTHESIS_VOICE);
            // a voice of the same language (en-us for `en`) stays.
            settings.voice.language = language
            if let id = settings.voice.voice, let voice = server.catalog.voice(id: id),
                Voice.primaryLanguage(voice.language) != Voice.primaryLanguage(language)
            {
                settings.voice.voice = nil
            }
        case .punctuation(let mode): settings.voice.punctuation = mode
        case .spelling(let on): settings.voice.spelling = on
        case .capitalLetters(let mode): settings.voice.capitalLetters = mode
        case .ssmlMode(let on): settings.ssml = on
        case .outputModule(let module): settings.outputModule = module
        case .notification(let kinds, let on):
            if on { settings.notifications.formUnion(kinds) } else { settings.notifications.subtract(kinds) }
        case .debug, .pauseContext: break
        }
    }

    private static func reply(for setting: SSIPSetting) -> SSIPReply {
        switch setting {
        case .clientName: .clientNameSet
        case .priority: .prioritySet
        case .rate: .rateSet
        case .pitch: .pitchSet
        case .pitchRange: .pitchRangeSet
        case .volume: .volumeSet
        case .voiceType, .synthesisVoice: .voiceSet
        case .language: .languageSet
        case .punctuation: .punctuationSet
        case .spelling: .spellingSet
        case .capitalLetters: .capLetRecognSet
        case .ssmlMode: .ssmlModeSet
        case .outputModule: .outputModuleSet
        case .notification: .notificationSet
        case .debug: .debugSet
        case .pauseContext: .pauseContextSet
        }
    }

    // MARK: GET and LIST

    private func get(_ name: String, _ settings: SessionSettings) -> SSIPReply {
        let voice = settings.voice
        switch name {
        case "OUTPUT_MODULE": return .got(settings.outputModule ?? server.catalog.outputModules.first ?? "none")
        case "VOICE_TYPE": return .got(settings.voiceType.rawValue)
        case "LANGUAGE":
            let language = voice.language ?? voice.voice.flatMap { server.catalog.voice(id: $0)?.language } ?? "en"
            return .got(language)
        case "SYNTHESIS_VOICE": return .got(voice.voice.flatMap { server.catalog.voice(id: $0)?.name } ?? "none")
        case "RATE": return .got("\(voice.rate)")
        case "PITCH": return .got("\(voice.pitch)")
        case "PITCH_RANGE": return .got("\(voice.pitchRange)")
        case "VOLUME": return .got("\(voice.volume)")
        case "PUNCTUATION": return .got(voice.punctuation.rawValue)
        case "SPELLING": return .got(voice.spelling ? "on" : "off")
        case "CAP_LET_RECOGN": return .got(voice.capitalLetters.rawValue)
        case "PRIORITY": return .got(settings.priority.rawValue)
        case "SSML_MODE": return .got(settings.ssml ? "on" : "off")
        case "CLIENT_NAME": return .got(settings.clientName)
        default: return .parameterInvalid
        }
    }

    private func list(_ request: SSIPListRequest, _ settings: SessionSettings) -> SSIPReply {
        switch request {
        case .outputModules: return .moduleList(server.catalog.outputModules)
        case .voices: return .voiceList(VoiceType.allCases.map(\.rawValue))
        case .synthesisVoices(let language, let variant):
            let voices = server.catalog.synthesisVoices(
                module: settings.outputModule, language: language, variant: variant)
            return .voiceList(voices.map(VoiceCatalog.listLine))
        }
    }

    /// A command for logs: its verb and setting name, never its text (a
    /// CHAR is something the user typed).
    private static func summary(_ command: SSIPCommand) -> String {
        switch command {
        case .set(_, let setting): "SET \(String(describing: setting).prefix { $0 != "(" })"
        case .char: "CHAR"
        case .key: "KEY"
        case .soundIcon: "SOUND_ICON"
        default: "\(command)"
        }
    }

    static let help = [
        "SPEAK, CHAR <c>, KEY <name>, SOUND_ICON <name>",
        "STOP|CANCEL|PAUSE|RESUME self|all|<client id>",
        "SET self|all|<client id> RATE|PITCH|PITCH_RANGE|VOLUME <-100..100>",
        "SET self|all|<client id> VOICE_TYPE|SYNTHESIS_VOICE|LANGUAGE|PUNCTUATION|SPELLING|CAP_LET_RECOGN|OUTPUT_MODULE <value>",
        "SET self CLIENT_NAME|PRIORITY|SSML_MODE|NOTIFICATION <value>",
        "GET <setting>, LIST OUTPUT_MODULES|VOICES|SYNTHESIS_VOICES [language [variant]]",
        "BLOCK BEGIN|END, HISTORY GET CLIENT_ID, HELP, QUIT",
    ]
}
