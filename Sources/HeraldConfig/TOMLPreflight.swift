internal import TOMLKit

/// Refuses, line by line, the TOML that TOMLKit's parser cannot be trusted with.
///
/// toml++ 3 (inside TOMLKit 0.6) assumes things about malformed input that
/// do not hold: after `[` or `[[` it expects a name (`[[:engine]]`, a lone
/// `[`), and inside an array or an inline table it expects a value where a
/// `}` or `]` can come (`b = [1,}]`). Each fails an assertion, which aborts a
/// debug build, and is undefined behaviour in a release build
/// (`__builtin_assume`). Found by fuzzing (fuzz/run.sh config).
///
/// Herald's config never needs what leads there: its tables are named, and
/// its values are strings, whole numbers and booleans, never arrays or inline
/// tables. So such a line is refused here, with its number and what to
/// write, before the text reaches TOMLKit. A line inside a multi-line string
/// is checked like any other; Herald has no key that takes one. A byte-order
/// mark at the start is skipped, as toml++ skips it.
enum TOMLPreflight {
    /// `text` checked, then parsed: the one way Herald's files reach TOMLKit.
    static func table(_ text: String, file: String) throws(ConfigurationError) -> TOMLTable {
        try check(text, file: file)
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: file, line: error.source.begin.line, key: nil, problem: error.description)
        } catch {
            throw ConfigurationError(file: file, line: nil, key: nil, problem: "is not valid TOML")
        }
    }

    static func check(_ text: String, file: String) throws(ConfigurationError) {
        var number = 0
        // toml++ skips a UTF-8 byte-order mark at the start of the text, so a
        // header right after one starts its line too (found by fuzzing).
        let bytes = text.utf8.starts(with: [0xEF, 0xBB, 0xBF]) ? text.utf8.dropFirst(3) : text.utf8.dropFirst(0)
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let content = line.drop { isBlank($0) }
            if content.first == UInt8(ascii: "[") {
                guard headerStartsWithName(content) else {
                    throw ConfigurationError(
                        file: file, line: number, key: nil, problem: "a table header must name its table, e.g. [audio] or [[engine]]")
                }
            } else if let value = valueStart(content), value == UInt8(ascii: "[") || value == UInt8(ascii: "{") {
                throw ConfigurationError(
                    file: file, line: number, key: nil,
                    problem: "values are strings in quotes, whole numbers or true/false; Herald's config has no arrays or inline tables")
            }
        }
    }

    /// After `[` or `[[` and blanks: a bare key character, a quote, or the `]`
    /// that the parser reports as a blank name itself.
    private static func headerStartsWithName(_ header: Substring.UTF8View.SubSequence) -> Bool {
        var rest = header.dropFirst()
        if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
        guard let first = rest.drop(while: isBlank).first else { return false }
        switch first {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default: return false
        }
    }

    /// The first byte after the line's first `=` outside quotes, blanks skipped.
    private static func valueStart(_ line: Substring.UTF8View.SubSequence) -> UInt8? {
        var quote: UInt8?
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "#") {
                return nil
            } else if byte == UInt8(ascii: "=") {
                return line[line.index(after: index)...].drop(while: isBlank).first
            }
            index = line.index(after: index)
        }
        return nil
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
