/// Texts for tests that speak through espeak-ng: ordinary English, so the
/// length of what is heard is predictable.
enum SampleText {
    /// Two ordinary sentences: about 3–5 s at espeak-ng's default rate.
    static let twoSentences = "The quick brown fox jumps over the lazy dog. Herald reads this second sentence aloud."

    /// Several paragraphs: well over a minute of speech, for interrupting.
    static let paragraphs = (1...6).map { number in
        """
        This is paragraph number \(number) of a long message that Herald reads aloud. \
        It talks about nothing in particular, so that a test can interrupt it halfway. \
        Screen reader users hear many long messages like this one every day, and they expect \
        to silence them at once with a single key. The next sentence continues in the same calm \
        way, with ordinary words and ordinary punctuation. Nothing here is important, and nothing \
        here will ever be heard to the end.
        """
    }.joined(separator: "\n\n")

    /// At least `bytes` of UTF-8 prose, numbered so that no two sentences are the same.
    static func prose(bytes: Int) -> String {
        var text = ""
        text.reserveCapacity(bytes + 200)
        var number = 0
        while text.utf8.count < bytes {
            number += 1
            text += "Sentence \(number) of a very large message keeps going, as a pasted log file would. "
            if number % 8 == 0 { text += "\n\n" }
        }
        return text
    }
}
