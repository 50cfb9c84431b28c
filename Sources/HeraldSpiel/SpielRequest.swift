internal import Glibc
internal import HeraldCore
internal import HeraldDBus

/// A checked `Synthesize` call: the arguments turned into what Herald's
/// engines take, with an error reply for anything a client got wrong.
struct SpielRequest: Sendable {
    let content: UtteranceContent
    let settings: VoiceSettings
    let voice: SpielVoice
    /// The write end of the client's pipe, owned by this request.
    let fd: Int32

    /// The longest text one request may carry: many hours of speech.
    /// Spiel clients send utterances, and the whole text is prepared before
    /// the first chunk is synthesised (about 0.3 s for 1 MiB here), which
    /// must stay short on a pool of a few threads. Longer is refused.
    static let maxTextBytes = 1 << 20

    /// Checks everything except the pipe first, so that a rejected call
    /// leaves its descriptor to be closed with the message. The arguments'
    /// types were checked before (`SpielProvider.synthesizeSignature`).
    init(_ call: DBusMethodCall, voices: [SpielVoice]) throws(DBusError) {
        let text = try call.string(1)
        guard text.utf8.count <= Self.maxTextBytes else {
            throw SpielError.invalid("The text is longer than 1 MiB; synthesise it in parts (a sentence or paragraph each).")
        }
        let voiceID = try call.string(2)
        let pitch = try call.double(3)
        let rate = try call.double(4)
        let isSSML = try call.bool(5)
        let language = try call.string(6)

        let voice: SpielVoice
        if voiceID.isEmpty {
            guard let first = voices.first else { throw SpielError.unknownVoice("") }
            voice = first
        } else {
            guard let named = voices.first(where: { $0.voice.id == voiceID }) else { throw SpielError.unknownVoice(voiceID) }
            voice = named
        }
        guard language.isEmpty || Self.isLanguageTag(language) else {
            throw SpielError.invalid("The language must be empty or a BCP 47 tag such as \"en\" or \"es-419\".")
        }
        var settings = VoiceSettings(
            voice: voice.voice.id, language: language.isEmpty ? nil : language,
            rate: try SpielProsody.rate(rate), pitch: try SpielProsody.pitch(pitch))
        settings.punctuation = .none
        self.settings = settings
        self.voice = voice
        self.content = isSSML ? .ssml(text) : .text(text)
        self.fd = try Self.pipe(try call.unixFD(0))
    }

    /// Takes the descriptor if it is the writable end of a pipe whose reader
    /// is still there. A reader that has already gone is not an error: the
    /// client cancelled, and the request ends at once.
    private static func pipe(_ descriptor: DBusUnixFD) throws(DBusError) -> Int32 {
        guard let fd = descriptor.rawValue else { throw SpielError.badPipe("pipe_fd arrived without a descriptor.") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw SpielError.badPipe("pipe_fd is not an open descriptor; pass the write end of a pipe.")
        }
        guard status.st_mode & S_IFMT == S_IFIFO else {
            throw SpielError.badPipe("pipe_fd is not a pipe; pass the write end of a pipe (as from pipe(2)).")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, flags & O_ACCMODE != O_RDONLY else {
            throw SpielError.badPipe("pipe_fd is the read end of the pipe; pass the write end and read from the other.")
        }
        return descriptor.take() ?? fd
    }

    static func isLanguageTag(_ tag: String) -> Bool {
        tag.count <= 35
            && tag.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty && part.count <= 8 && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            }
    }
}
