public import HeraldCore
internal import HeraldSystem
internal import TOMLKit

/// Reads a pronunciation lexicon (`lexicon.toml`): `[[entry]]` tables, each
/// with `word` (a whole word; `case = true` to match its case) or `regex` (`$1`…
/// in `say`), `say`, and an optional `language`. Errors name the file, the
/// line of the entry and what to fix, never more of the file than the key.
public enum LexiconFile {
    /// The lexicon at `path`. A missing file is no lexicon unless the config
    /// named it (`named`), when it is an error.
    public static func load(path: String, named: Bool) throws(ConfigurationError) -> Lexicon {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch where error.isMissing {
            if !named { return .empty }
            throw ConfigurationError(file: path, line: nil, key: nil, problem: "no such file ([text] lexicon names it)")
        } catch {
            throw ConfigurationError(file: path, line: nil, key: nil, problem: "cannot be read (check its permissions)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(file: path, line: nil, key: nil, problem: "is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses lexicon text; `file` only names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> Lexicon {
        let table = try TOMLPreflight.table(text, file: file)
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        let places = EntryPlaces(lines: lines)
        for key in table.keys where key != "entry" {
            throw ConfigurationError(
                file: file, line: places.topLevelLine(of: key), key: key,
                problem: "unknown key; a lexicon holds only [[entry]] tables")
        }
        guard let list = table["entry"] else { return .empty }
        guard let array = list.array else {
            throw ConfigurationError(file: file, line: places.topLevelLine(of: "entry"), key: "entry", problem: "must be written as [[entry]] tables")
        }
        var entries: [Lexicon.Entry] = []
        for (index, value) in array.enumerated() {
            func failure(_ key: String?, _ problem: String) -> ConfigurationError {
                ConfigurationError(
                    file: file, line: key.flatMap { places.line(of: $0, inEntry: index) } ?? places.entryLine(index),
                    key: key.map { "[[entry]] \($0)" } ?? "[[entry]]", problem: problem)
            }
            guard let entry = value.table else { throw failure(nil, "must be written as an [[entry]] table") }
            for key in entry.keys where !["word", "regex", "say", "language", "case"].contains(key) {
                throw failure(key, "unknown key; expected one of case, language, regex, say, word")
            }
            func string(_ key: String) throws(ConfigurationError) -> String? {
                guard let value = entry[key] else { return nil }
                guard let string = value.string else { throw failure(key, "must be a string in quotes") }
                return string
            }
            let word = try string("word")
            let regex = try string("regex")
            guard let say = try string("say") else { throw failure(nil, "has no say: write what to say instead") }
            let language = try string("language")
            var caseSensitive = false
            if let flag = entry["case"] {
                guard let value = flag.bool else { throw failure("case", "must be true or false") }
                guard word != nil else { throw failure("case", "applies to word entries only; write (?i) in a regex instead") }
                caseSensitive = value
            }
            let pattern: Lexicon.Pattern
            switch (word, regex) {
            case (let word?, nil): pattern = .word(word, caseSensitive: caseSensitive)
            case (nil, let regex?): pattern = .regex(regex)
            case (nil, nil): throw failure(nil, "has neither word nor regex: give one")
            case (.some, .some): throw failure("regex", "an entry has a word or a regex, not both")
            }
            entries.append(Lexicon.Entry(pattern, say: say, language: language))
        }
        do {
            return try Lexicon(entries)
        } catch {
            let key = error.key.rawValue
            let place = places.line(of: key, inEntry: error.entry) ?? places.entryLine(error.entry)
            throw ConfigurationError(file: file, line: place, key: "[[entry]] \(key)", problem: error.problem)
        }
    }
}

/// Where each `[[entry]]` and its keys are written: TOMLKit keeps no positions.
private struct EntryPlaces {
    let lines: [Substring]
    /// The index in `lines` of each `[[entry]]` header, in order.
    let headers: [Int]

    init(lines: [Substring]) {
        self.lines = lines
        headers = lines.indices.filter { lines[$0].trimmingWhitespace().hasPrefix("[[entry]]") }
    }

    func entryLine(_ entry: Int) -> Int? {
        entry < headers.count ? headers[entry] + 1 : nil
    }

    func line(of key: String, inEntry entry: Int) -> Int? {
        guard entry < headers.count else { return nil }
        for index in (headers[entry] + 1)..<lines.count {
            let line = lines[index].trimmingWhitespace()
            if line.hasPrefix("[") { return nil }
            if line.hasPrefix(key), line.dropFirst(key.count).trimmingWhitespace().hasPrefix("=") { return index + 1 }
        }
        return nil
    }

    func topLevelLine(of key: String) -> Int? {
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("[") {
                // (Not `contains`: with a String argument it is Foundation's, which heraldd does not link.)
                return line.trimming { $0 == "[" || $0 == "]" || $0.isWhitespace } == key ? index + 1 : nil
            }
            if line.hasPrefix(key) { return index + 1 }
        }
        return nil
    }
}
