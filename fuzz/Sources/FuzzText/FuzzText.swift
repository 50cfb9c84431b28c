internal import HeraldCore

/// libFuzzer target: a message's text as every front end hands it to the
/// player, through `TextPreparer.chunks` (SSML parsing, punctuation, spelling,
/// sentence chunking).
///
/// The first byte picks the settings (SSML or plain text, punctuation mode,
/// spelling, capital letters) and the second the chunk limit (1…256); the
/// rest is the text, decoded as UTF-8 with repair, as a front end would after
/// validating it. Besides traps and hangs, the harness checks the chunker's
/// documented promise: no chunk's words exceed the limit in Unicode scalars.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let flags = bytes[0]
    let limit = Int(bytes[1]) + 1
    let text = String(decoding: bytes[2...], as: UTF8.self)

    var settings = VoiceSettings()
    let punctuation = PunctuationMode.allCases
    settings.punctuation = punctuation[Int(flags >> 1) % punctuation.count]
    settings.spelling = flags & 0x08 != 0
    let capitals = CapitalLetterMode.allCases
    settings.capitalLetters = capitals[Int(flags >> 4) % capitals.count]
    let content: UtteranceContent = flags & 1 == 1 ? .ssml(text) : .text(text)

    let chunks = TextPreparer(maxChunkCharacters: limit).chunks(for: content, settings: settings)
    for chunk in chunks {
        let length = chunk.plainText.unicodeScalars.count
        guard length <= limit else {
            fatalError("a chunk of \(length) scalars is over the limit of \(limit)")
        }
        _ = chunk.markOffsets
    }
    return 0
}
