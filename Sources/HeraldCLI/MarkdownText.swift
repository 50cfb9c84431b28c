/// Markdown turned into what a reader would say: the words of headings,
/// paragraphs, list items, quotes, tables and code, without the markup
/// (`#`, `**`, backticks, link targets, HTML tags, table rules).
///
/// Line-based and forgiving, not a CommonMark implementation: its job is that
/// no markup character is read aloud and that block structure becomes pauses;
/// a construct it does not know is read as its text.
enum MarkdownText {
    static func document(_ source: String) -> ReadingDocument {
        var blocks: [ReadingDocument.Block] = []
        var paragraph: [String] = []
        var fence: Substring?
        var lines = source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]

        func flush(as kind: ReadingDocument.Kind = .paragraph) {
            let text = inline(paragraph.joined(separator: " "))
            paragraph = []
            if text.contains(where: { !$0.isWhitespace }) { blocks.append(.init(kind: kind, text: text)) }
        }

        // YAML front matter is metadata, not reading matter.
        if lines.first?.trimmingWhitespace() == "---", let end = lines.dropFirst().firstIndex(where: { $0.trimmingWhitespace() == "---" }) {
            lines = lines[(end + 1)...]
        }

        for rawLine in lines {
            if let open = fence {
                if rawLine.trimmingWhitespace().hasPrefix(open) {
                    fence = nil
                } else if rawLine.contains(where: { !$0.isWhitespace }) {
                    blocks.append(.init(kind: .line, text: String(rawLine.trimmingWhitespace())))
                }
                continue
            }
            var line = rawLine.trimmingWhitespace()
            // Block quotes read as their content.
            while line.hasPrefix(">") { line = line.dropFirst().trimmingWhitespace() }

            if line.isEmpty {
                flush()
                continue
            }
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                flush()
                fence = line.prefix { $0 == line.first }
                continue
            }
            if let heading = atxHeading(line) {
                flush()
                let text = inline(String(heading))
                if !text.isEmpty { blocks.append(.init(kind: .heading, text: text)) }
                continue
            }
            if !paragraph.isEmpty, line.allSatisfy({ $0 == "=" }) || (line.allSatisfy({ $0 == "-" }) && line.count >= 2) {
                flush(as: .heading)
                continue
            }
            if isThematicBreak(line) {
                flush()
                blocks.append(.init(kind: .pause, text: ""))
                continue
            }
            if isReferenceDefinition(line) || isTableRule(line) || (line.hasPrefix("<!--") && line.hasSuffix("-->")) {
                continue
            }
            if line.hasPrefix("|") || line.hasSuffix("|") {
                flush()
                let cells = line.split(separator: "|").map { inline(String($0)) }.filter { !$0.isEmpty }
                if !cells.isEmpty { blocks.append(.init(kind: .line, text: cells.joined(separator: ", "))) }
                continue
            }
            if let item = listItem(line) {
                flush()
                paragraph = [String(item)]
                flush(as: .line)
                continue
            }
            paragraph.append(String(line))
        }
        flush()
        return ReadingDocument(blocks: blocks)
    }

    /// `# Title #` → `Title`; nil for other lines (`#hashtag` is not a heading).
    static func atxHeading(_ line: Substring) -> Substring? {
        let hashes = line.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count) else { return nil }
        let rest = line.dropFirst(hashes.count)
        guard rest.isEmpty || rest.first!.isWhitespace else { return nil }
        var text = rest.trimmingWhitespace()
        while text.hasSuffix("#") { text = text.dropLast() }
        return text.trimmingWhitespace()
    }

    /// `---`, `***`, `___` (spaces allowed between).
    static func isThematicBreak(_ line: Substring) -> Bool {
        let marks = line.filter { !$0.isWhitespace }
        guard let first = marks.first, "-*_".contains(first), marks.count >= 3 else { return false }
        return marks.allSatisfy { $0 == first }
    }

    /// `[label]: https://…` — a link target, never read.
    static func isReferenceDefinition(_ line: Substring) -> Bool {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return false }
        return line[line.index(after: close)...].hasPrefix(":")
    }

    /// `|---|:--:|` — a table's header rule.
    /// (Characters, not strings, are looked for: `contains` of a string is
    /// Foundation proper's, which `herald` does not link.)
    static func isTableRule(_ line: Substring) -> Bool {
        line.contains(Character("-")) && line.contains(Character("|")) && line.allSatisfy { "|-: ".contains($0) }
    }

    /// The text of `- item`, `* item`, `+ item`, `1. item`, `2) item`, with a task box `[ ]` dropped.
    static func listItem(_ line: Substring) -> Substring? {
        var rest: Substring
        if let first = line.first, "-*+".contains(first), line.dropFirst().first?.isWhitespace == true {
            rest = line.dropFirst()
        } else {
            let digits = line.prefix { $0.isASCII && $0.isNumber }
            let after = line.dropFirst(digits.count)
            guard (1...9).contains(digits.count), let marker = after.first, marker == "." || marker == ")",
                after.dropFirst().first?.isWhitespace == true
            else { return nil }
            rest = after.dropFirst()
        }
        rest = rest.trimmingWhitespace()
        for box in ["[ ]", "[x]", "[X]"] where rest.hasPrefix(box) { rest = rest.dropFirst(box.count).trimmingWhitespace() }
        return rest
    }

    /// Inline markup removed: emphasis, code spans, links and images (their
    /// text or alt text stays), autolinks (the address stays), HTML tags,
    /// footnote references; backslash escapes give their character.
    static func inline(_ text: String) -> String {
        let c = Array(text)
        var out = ""
        var i = 0
        func isWordCharacter(_ index: Int) -> Bool { c.indices.contains(index) && (c[index].isLetter || c[index].isNumber) }
        func isDigit(_ index: Int) -> Bool { c.indices.contains(index) && c[index].isNumber }
        func isSpace(_ index: Int) -> Bool { !c.indices.contains(index) || c[index].isWhitespace }
        while i < c.count {
            let ch = c[i]
            switch ch {
            case "\\" where i + 1 < c.count && (c[i + 1].isPunctuation || c[i + 1].isSymbol):
                out.append(c[i + 1])
                i += 2
            case "`":
                let run = c[i...].prefix { $0 == "`" }.count
                let ticks = String(repeating: "`", count: run)
                if let end = find(ticks, in: c, from: i + run) {
                    out += String(c[(i + run)..<end]).trimmingEdges(of: " ")
                    i = end + run
                } else {
                    i += run
                }
            case "!" where i + 1 < c.count && c[i + 1] == "[":
                i += 1
            case "[":
                if i + 1 < c.count, c[i + 1] == "^", let close = c[i...].firstIndex(of: "]") {
                    i = close + 1  // footnote reference
                } else if let close = matchingBracket(c, from: i) {
                    let label = inline(String(c[(i + 1)..<close]))
                    var next = close + 1
                    if next < c.count, c[next] == "(", let end = c[next...].firstIndex(of: ")") {
                        next = end + 1
                    } else if next < c.count, c[next] == "[", let end = c[next...].firstIndex(of: "]") {
                        next = end + 1
                    }
                    out += label
                    i = next
                } else {
                    out.append(ch)
                    i += 1
                }
            case "<":
                if let close = c[i...].firstIndex(of: ">"), close > i + 1 {
                    let inside = String(c[(i + 1)..<close])
                    if inside.firstRange(of: "://") != nil || inside.hasPrefix("mailto:") {
                        out += inside
                        i = close + 1
                        continue
                    }
                    if let first = inside.first, first.isLetter || first == "/" || first == "!" {
                        i = close + 1
                        continue
                    }
                }
                out.append(ch)
                i += 1
            case "*", "~", "_":
                let run = c[i...].prefix { $0 == ch }.count
                let before = i - 1
                let after = i + run
                // A delimiter touches a word on one side; `2 * 3` and snake_case keep theirs.
                let flanking = isSpace(before) != isSpace(after) || (!isSpace(before) && !isSpace(after) && ch != "_")
                let intraword =
                    (ch == "_" && isWordCharacter(before) && isWordCharacter(after))
                    || (ch == "*" && isDigit(before) && isDigit(after))
                let strikeOrEmphasis = ch != "~" || run >= 2
                if !(flanking && !intraword && strikeOrEmphasis) { out += String(repeating: ch, count: run) }
                i += run
            default:
                out.append(ch)
                i += 1
            }
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private static func find(_ needle: String, in c: [Character], from start: Int) -> Int? {
        let n = Array(needle)
        guard start <= c.count - n.count else { return nil }
        for index in start...(c.count - n.count) where Array(c[index..<(index + n.count)]) == n {
            return index
        }
        return nil
    }

    private static func matchingBracket(_ c: [Character], from start: Int) -> Int? {
        var depth = 0
        for index in start..<c.count {
            if c[index] == "[" { depth += 1 }
            if c[index] == "]" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingEdges(of character: Character) -> String {
        String(String(Substring(self).drop { $0 == character }.reversed()).drop { $0 == character }.reversed())
    }
}
