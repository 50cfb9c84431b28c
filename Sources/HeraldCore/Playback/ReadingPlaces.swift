/// The places of a prepared message in reading order, each with the chunk
/// and segment it sits at: what moving by sentence or paragraph starts
/// from, and where a sentence's range ends.
public struct ReadingPlaces: Sendable {
    public struct Entry: Sendable {
        public let place: TextPlace
        public let chunk: Int
        /// Where reading starts when moved here: the place, or the client's
        /// marks just before it (a reader's sentence mark), so they are heard too.
        public let segment: Int
    }

    public let entries: [Entry]
    /// Indices into `entries` of the places that begin a sentence (paragraph starts included).
    private let sentences: [Int]
    /// Entries by their place's start, unique within a message.
    private let byStart: [Int: Int]

    public init(_ chunks: [SpeechChunk]) {
        var entries: [Entry] = []
        var sentences: [Int] = []
        var byStart: [Int: Int] = [:]
        for (chunkIndex, chunk) in chunks.enumerated() {
            for (segmentIndex, segment) in chunk.segments.enumerated() {
                guard case .mark(let name) = segment, let place = TextPlace(markName: name) else { continue }
                if place.edge != .word || sentences.isEmpty { sentences.append(entries.count) }
                byStart[place.start] = entries.count
                var start = segmentIndex
                while start > 0, case .mark(let before) = chunk.segments[start - 1], !TextPlace.isReserved(before) { start -= 1 }
                entries.append(Entry(place: place, chunk: chunkIndex, segment: start))
            }
        }
        self.entries = entries
        self.sentences = sentences
        self.byStart = byStart
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The entry an internal mark stands for.
    public func entry(named markName: String) -> Int? {
        guard let place = TextPlace(markName: markName), let entry = byStart[place.start] else { return nil }
        return entries[entry].place == place ? entry : nil
    }

    /// The sentence (an index among the sentences) the entry belongs to.
    public func sentence(containing entry: Int) -> Int {
        var low = 0
        var high = sentences.count
        while low < high {
            let middle = (low + high) / 2
            if sentences[middle] <= entry { low = middle + 1 } else { high = middle }
        }
        return max(0, low - 1)
    }

    /// The offsets a sentence spans: from its first word to its last.
    public func range(ofSentence sentence: Int) -> TextRange {
        let first = sentences[sentence]
        let last = sentence + 1 < sentences.count ? sentences[sentence + 1] - 1 : entries.count - 1
        let end = entries[first...last].map(\.place.end).max() ?? entries[first].place.end
        return TextRange(start: entries[first].place.start, end: end)
    }

    /// Where reading goes when a person moves `count` sentences or
    /// paragraphs from the entry last heard (nil: none heard yet, the start):
    /// the entry to start at, or nil when that is past the end. Going back
    /// stops at the first.
    public func target(from current: Int?, moving count: Int, by unit: SkipUnit) -> Int? {
        guard !sentences.isEmpty else { return nil }
        let sentence = current.map { self.sentence(containing: $0) } ?? 0
        switch unit {
        case .sentence:
            let target = sentence + count
            return target >= sentences.count ? nil : sentences[max(0, target)]
        case .paragraph:
            let paragraphs = sentences.indices.filter { $0 == 0 || entries[sentences[$0]].place.edge == .paragraph }
            let here = paragraphs.lastIndex { $0 <= sentence } ?? 0
            let target = here + count
            return target >= paragraphs.count ? nil : sentences[paragraphs[max(0, target)]]
        }
    }
}

/// What `Skip` moves by.
public enum SkipUnit: String, Sendable, CaseIterable {
    case sentence
    case paragraph
}
