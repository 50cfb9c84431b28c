/// Refuses the table headers that TOMLKit's parser cannot be trusted with.
///
/// toml++ 3 (inside TOMLKit 0.6) reads the name after `[` or `[[` assuming it
/// starts with a key character or a quote: anything else (`[[:engine]]`, `[`
/// alone, `[#`) fails an assertion, which aborts a debug build and is undefined
/// behaviour in a release build (`__builtin_assume`). Found by fuzzing
/// (fuzz/run.sh config). Such a line is never valid in Herald's config, so it
/// is refused here, with its line, before the text reaches TOMLKit.
enum TableHeaderCheck {
    static func check(_ text: String, file: String) throws(ConfigurationError) {
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var rest = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard rest.first == UInt8(ascii: "[") else { continue }
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
            rest = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            // A header cut off by the end of the line or the file is refused too.
            if let first = rest.first, startsName(first) { continue }
            throw ConfigurationError(
                file: file, line: lineNumber, key: nil,
                problem: "a table header must name its table, e.g. [audio] or [[engine]]")
        }
    }

    /// A byte the parser accepts first after the brackets: a bare key
    /// character, a quote, or the `]` it reports as a blank name itself.
    private static func startsName(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            true
        default: false
        }
    }
}
