/// Texts to speak, of known sizes.
enum SampleText {
    /// About two seconds of speech.
    static let short = "The quick brown fox jumps over the lazy dog."

    /// About fifteen seconds of speech.
    static let paragraph = """
        Herald reads text aloud for people who cannot see the screen, and for anyone who would rather \
        listen. It keeps one queue for every program on the desktop, speaks the most urgent message first, \
        and stops at once when asked. When the network is slow or gone it falls back to a voice on this \
        computer, so that a screen reader never goes silent.
        """

    /// Well over a minute of speech: long enough to interrupt at leisure.
    static let long = Array(repeating: paragraph, count: 6).joined(separator: "\n\n")

    /// One mebibyte of plain text, in sentences.
    static let megabyte: String = {
        var text = ""
        text.reserveCapacity(1 << 20)
        while text.utf8.count < 1 << 20 { text += paragraph + " " }
        return String(text.utf8.prefix(1 << 20))!
    }()
}
