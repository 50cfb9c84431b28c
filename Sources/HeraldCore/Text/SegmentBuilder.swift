/// Assembles segments from pieces of marked-up text so that every producer
/// (the SSML parser, its fallback) normalises whitespace the same way:
/// runs collapse to one space, nothing leads or trails, adjacent text merges.
/// A space next to a mark is kept (before the mark), so words never fuse when
/// a cloud engine receives the text without marks; a pause separates words by
/// itself, so no space is kept beside it (the chunker restores one if the
/// pause ends up inside a chunk).
struct SegmentBuilder {
    /// Silence never exceeds this: a client must not be able to stall the queue.
    static let maximumPause = 10_000

    private var segments: [SpeechSegment] = []
    private var text = ""
    private var hasWords = false
    private var endsWithSpace = false
    private var spacePending = false
    private var boundary: Int?

    mutating func appendText(_ string: some StringProtocol) {
        for scalar in string.unicodeScalars {
            if scalar.isCollapsibleSpace {
                if hasWords && !endsWithSpace { spacePending = true }
                continue
            }
            flushBoundary()
            flushSpace()
            text.unicodeScalars.append(scalar)
            hasWords = true
            endsWithSpace = false
        }
    }

    mutating func appendMark(_ name: String) {
        flushBoundary()
        flushSpace()
        flushText()
        segments.append(.mark(name))
    }

    /// An explicit break: kept even at the very start, since the author asked for it.
    mutating func appendPause(milliseconds: Int) {
        var milliseconds = min(max(0, milliseconds), Self.maximumPause)
        if let pending = boundary {
            milliseconds = max(milliseconds, pending)
            boundary = nil
        }
        guard milliseconds > 0 else { return }
        separateByPause()
        if case .pause(let previous) = segments.last {
            segments[segments.count - 1] = .pause(milliseconds: min(previous + milliseconds, Self.maximumPause))
        } else {
            segments.append(.pause(milliseconds: milliseconds))
        }
    }

    /// A sentence or paragraph edge: only meaningful between words, so it waits
    /// for the next word or mark and vanishes at the start and end.
    mutating func appendBoundary(milliseconds: Int) {
        guard hasWords else { return }
        boundary = max(boundary ?? 0, milliseconds)
        if !endsWithSpace { spacePending = true }
    }

    /// Mark word separation without emitting text, as a dropped tag between words does.
    mutating func appendWordBreak() {
        if hasWords && !endsWithSpace { spacePending = true }
    }

    mutating func finish() -> [SpeechSegment] {
        flushText()
        if case .text(let last) = segments.last, last.hasSuffix(" ") {
            segments[segments.count - 1] = .text(String(last.dropLast()))
        }
        boundary = nil
        spacePending = false
        return segments
    }

    private mutating func flushBoundary() {
        guard let milliseconds = boundary else { return }
        boundary = nil
        separateByPause()
        if case .pause(let previous) = segments.last {
            segments[segments.count - 1] = .pause(milliseconds: max(previous, milliseconds))
        } else {
            segments.append(.pause(milliseconds: milliseconds))
        }
    }

    private mutating func separateByPause() {
        spacePending = false
        flushText()
        endsWithSpace = true
    }

    private mutating func flushSpace() {
        guard spacePending else { return }
        spacePending = false
        text.unicodeScalars.append(" ")
        endsWithSpace = true
    }

    private mutating func flushText() {
        guard !text.isEmpty else { return }
        if case .text(let previous) = segments.last {
            segments[segments.count - 1] = .text(previous + text)
        } else {
            segments.append(.text(text))
        }
        text = ""
    }
}

extension Unicode.Scalar {
    /// Whitespace that separates words. No-break spaces are excluded: they ask
    /// for the words to stay together, so they are kept and never split at.
    var isCollapsibleSpace: Bool {
        switch value {
        case 0x09...0x0D, 0x20: true
        case 0..<0x80: false
        case 0x85, 0x1680, 0x2000...0x2006, 0x2008...0x200A, 0x2028, 0x2029, 0x205F, 0x3000: true
        default: false
        }
    }
}
