internal import FoundationEssentials
internal import Glibc

/// A file prepared for `herald speak --file`: read, its Markdown or plain
/// paragraphs turned into SSML with pauses and progress marks.
struct FileReading {
    /// The largest file read: several days of speech. Its SSML must still
    /// fit the daemon's 16 MiB per message.
    static let maxBytes = 8 << 20
    static let maxMessageBytes = 16 << 20
    static let markdownExtensions: Set<String> = ["md", "markdown", "mdown", "mkd", "mkdn", "mdwn", "mdtxt", "rmd"]

    let name: String
    let document: ReadingDocument
    let ssml: String
    /// Where this reading is kept for `--resume`; nil for standard input.
    let place: ReadingPlace?

    /// - Parameter resuming: start where the last reading of this file
    ///   stopped (`--resume`), or at the beginning when it changed since.
    init(path: String, resuming: Bool = false, environment: [String: String] = [:]) throws(CLIError) {
        let text = try TextInput.read(file: path, limit: Self.maxBytes)
        name = path == "-" ? "standard input" : URL(fileURLWithPath: path).lastPathComponent
        let isMarkdown = Self.markdownExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
        document = isMarkdown ? MarkdownText.document(text) : ReadingDocument.plainText(text)
        guard document.spokenBlocks > 0 else { throw CLIError("\(path) has no text to read") }
        place = path == "-" ? nil : ReadingPlace(path: path, text: text, environment: environment)
        var start = ReadingDocument.Position()
        if resuming, let place {
            switch place.lastStop(in: document) {
            case .stopped(let position):
                start = position
                FileHandleOutput.standardError("herald: resuming \(name) at part \(document.ordinal(of: position.block)) of \(document.spokenBlocks), sentence \(position.sentence + 1)\n")
            case .changed:
                FileHandleOutput.standardError("herald: \(name) changed since it was last read; reading it from the start\n")
            case .none:
                break
            }
        }
        ssml = document.ssml(from: start)
        guard ssml.utf8.count <= Self.maxMessageBytes else {
            throw CLIError("\(path) is too long to read in one message (over 16 MiB once prepared); split it")
        }
    }
}
