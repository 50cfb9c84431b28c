// herald-espeak: libespeak-ng in a process of its own, so that a synthesis
// that hangs or crashes costs heraldd one chunk, not its voice. heraldd starts
// it with a stream socket as descriptor 3 and speaks `EspeakWire` over it.
//
// Two threads: the main thread owns libespeak-ng (the library keeps global
// state) and runs one request at a time; a reader thread takes requests off
// the socket, and a `cancel` sets a flag the synth callback reads, so a stop
// takes effect at the next buffer rather than after the chunk. Only the main
// thread writes to the socket once `ready` is sent. No Foundation: the helper
// stays a few MiB beyond libespeak-ng's own data.

internal import CEspeakNG
internal import CHeraldSystem
internal import Glibc
internal import HeraldEspeakProtocol
internal import HeraldSystem
internal import Synchronization

let socket = EspeakWire.socketDescriptor

// heraldd passes its pid, so a parent that died before PR_SET_PDEATHSIG took is noticed.
let arguments = CommandLine.arguments
if arguments.count > 1, let parent = Int32(arguments[1]), herald_die_with_parent(parent) != 0 { exit(0) }
_ = herald_close_from(socket + 1)
signal(SIGPIPE, SIG_IGN)

/// Writes a whole frame, or exits: with heraldd gone there is no one to speak for.
func send(_ frame: inout EspeakFrameWriter) {
    let bytes = frame.finish()
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0, errno == EINTR { continue }
            if written <= 0 { exit(0) }
            offset += written
        }
    }
}

// MARK: Requests from the reader thread

struct Request: Sendable {
    let id: UInt32
    let rate: Int32, pitch: Int32, pitchRange: Int32, volume: Int32
    let voice: String, language: String, ssml: String
}

let pending = Locked<[Request]>([])
/// The id heraldd last cancelled; ids only grow, so an old cancel never matches a new request.
let cancelled = Atomic<UInt32>(0)
nonisolated(unsafe) var wakeup = sem_t()
sem_init(&wakeup, 0, 0)

func readRequests() {
    var buffer = EspeakFrameBuffer()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        // heraldd closed its end (or died): nothing more to do.
        if count <= 0 { exit(0) }
        chunk.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        while let frame = try? buffer.next() {
            var reader = EspeakFrameReader(frame.body)
            switch EspeakWire.Kind(rawValue: frame.kind) {
            case .speak:
                guard let id = reader.uint32(), let rate = reader.int32(), let pitch = reader.int32(),
                    let range = reader.int32(), let volume = reader.int32(), let voice = reader.string(),
                    let language = reader.string(), let ssml = reader.string()
                else { exit(2) }
                let request = Request(
                    id: id, rate: rate, pitch: pitch, pitchRange: range, volume: volume, voice: voice, language: language,
                    ssml: ssml)
                pending.withLock { $0.append(request) }
                sem_post(&wakeup)
            case .cancel:
                guard let id = reader.uint32() else { exit(2) }
                cancelled.store(id, ordering: .releasing)
            default:
                exit(2)
            }
        }
    }
}

// MARK: libespeak-ng

let sampleRate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 40, nil, Int32(espeakINITIALIZE_DONT_EXIT))
guard sampleRate > 0 else {
    var frame = EspeakFrameWriter(.startFailed)
    frame.append("libespeak-ng could not load its data; install the espeak-ng-data package")
    send(&frame)
    exit(1)
}

/// The request being synthesised: set by the main thread around `espeak_Synth`
/// and read by the callback, which runs on that same thread.
struct Active {
    let id: UInt32
    var frames = 0
}
nonisolated(unsafe) var active: Active?

/// Forwards samples and marks as they are made, the samples split at each
/// mark's position; returns 1 (abort) once the request is cancelled.
func synthCallback(_ wav: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutablePointer<espeak_EVENT>?) -> Int32 {
    guard var current = active, cancelled.load(ordering: .acquiring) != current.id else { return 1 }
    let samples = UnsafeBufferPointer(start: wav, count: wav == nil ? 0 : max(0, Int(count)))
    var cursor = 0
    func sendAudio(upTo end: Int) {
        guard end > cursor else { return }
        var frame = EspeakFrameWriter(.audio, capacity: 4 + (end - cursor) * 2)
        frame.append(current.id)
        frame.append(samples: UnsafeBufferPointer(rebasing: samples[cursor..<end]))
        send(&frame)
        current.frames += end - cursor
        cursor = end
    }
    var event = events
    while let this = event, this.pointee.type != espeakEVENT_LIST_TERMINATED {
        if this.pointee.type == espeakEVENT_MARK, let name = this.pointee.id.name {
            let position = Int(this.pointee.audio_position) * Int(sampleRate) / 1000
            sendAudio(upTo: min(samples.count, max(cursor, position - current.frames)))
            var frame = EspeakFrameWriter(.mark)
            frame.append(current.id)
            frame.append(String(cString: name))
            send(&frame)
        }
        event = this + 1
    }
    sendAudio(upTo: samples.count)
    active = current
    return 0
}
espeak_SetSynthCallback(synthCallback)

// MARK: Voices

let idPrefix = "espeak-ng:"

/// The `languages` field is priority byte, name, NUL, repeated; the first name is the main one.
func firstLanguage(_ languages: UnsafePointer<CChar>?) -> String {
    guard let languages, languages.pointee != 0 else { return "" }
    return String(cString: languages + 1)
}

func sendReady() {
    var voices: [(String, String, String)] = []
    if let list = espeak_ListVoices(nil) {
        var index = 0
        while let entry = list[index] {
            index += 1
            guard let name = entry.pointee.name, let identifier = entry.pointee.identifier else { continue }
            voices.append((String(cString: identifier), String(cString: name), firstLanguage(entry.pointee.languages)))
        }
    }
    var frame = EspeakFrameWriter(.ready, capacity: voices.count * 40)
    frame.append(Int(sampleRate))
    frame.append(voices.count)
    for (identifier, name, language) in voices {
        frame.append(identifier)
        frame.append(name)
        frame.append(language)
    }
    send(&frame)
}

/// Selects by voice id or name when given, else by language. Returns false when nothing matched.
func select(voice: String?, language: String?) -> Bool {
    if let voice {
        let name = voice.hasPrefix(idPrefix) ? String(voice.dropFirst(idPrefix.count)) : voice
        if espeak_SetVoiceByName(name) == EE_OK { return true }
        if let file = name.split(separator: "/").last, espeak_SetVoiceByName(String(file)) == EE_OK { return true }
        if language == nil { return false }
    }
    let code = (language ?? "en").lowercased()
    return code.withCString { code in
        var spec = espeak_VOICE()
        spec.languages = code
        return espeak_SetVoiceByProperties(&spec) == EE_OK
    }
}

/// −100 → 80 wpm (espeak-ng's slowest), 0 → 175 (its default), 100 → 450 (its fastest).
func wordsPerMinute(_ rate: Int32) -> Int32 {
    rate < 0 ? 175 + rate * 95 / 100 : 175 + rate * 275 / 100
}

nonisolated(unsafe) var appliedVoice: String?

/// Maps Herald's −100…100 settings onto espeak-ng's scales; 0 is each voice's normal.
func apply(_ request: Request) {
    // "C" and "POSIX" are what clients send from an unset locale: English, quietly.
    let language: String? =
        request.language.isEmpty || ["c", "posix"].contains(request.language.lowercased()) ? nil : request.language
    let voice: String? = request.voice.isEmpty ? nil : request.voice
    let voiceKey = voice ?? language ?? "en"
    if voiceKey != appliedVoice {
        if !select(voice: voice, language: language) {
            var frame = EspeakFrameWriter(.notice)
            frame.append(request.id)
            frame.append("espeak-ng has no voice \(voiceKey); using English")
            send(&frame)
            _ = select(voice: nil, language: "en")
        }
        appliedVoice = voiceKey
    }
    espeak_SetParameter(espeakRATE, wordsPerMinute(request.rate), 0)
    espeak_SetParameter(espeakPITCH, 50 + request.pitch / 2, 0)
    espeak_SetParameter(espeakRANGE, 50 + request.pitchRange / 2, 0)
    espeak_SetParameter(espeakVOLUME, (request.volume + 100) / 2, 0)
}

func run(_ request: Request) {
    if cancelled.load(ordering: .acquiring) != request.id {
        apply(request)
        active = Active(id: request.id)
        let flags = UInt32(espeakCHARS_UTF8) | UInt32(espeakSSML)
        let status = request.ssml.withCString { text in
            espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, flags, nil, nil)
        }
        active = nil
        if status != EE_OK, cancelled.load(ordering: .acquiring) != request.id {
            var frame = EspeakFrameWriter(.failed)
            frame.append(request.id)
            frame.append("synthesis failed (espeak error \(status.rawValue))")
            send(&frame)
            return
        }
    }
    var frame = EspeakFrameWriter(.end)
    frame.append(request.id)
    send(&frame)
}

/// The reader thread's entry: a plain function, since a closure written in
/// this file's top-level code would be main-actor isolated and trap off the main thread.
func readerThread(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    readRequests()
    return nil
}

// MARK: Main

sendReady()
var reader = pthread_t()
guard pthread_create(&reader, nil, readerThread, nil) == 0 else { exit(1) }
while true {
    while sem_wait(&wakeup) != 0 {}
    if let request = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { run(request) }
}
