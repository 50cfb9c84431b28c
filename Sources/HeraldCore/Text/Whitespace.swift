extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines.
    ///
    /// Here rather than Foundation's `trimmingCharacters(in:)` because heraldd
    /// links no Foundation beyond FoundationEssentials, which does not have it.
    public func trimmingWhitespace() -> SubSequence {
        trimming { $0.isWhitespace }
    }

    /// The text without the leading and trailing characters `isTrimmed` picks.
    public func trimming(_ isTrimmed: (Character) -> Bool) -> SubSequence {
        let start = firstIndex { !isTrimmed($0) } ?? endIndex
        let end = lastIndex { !isTrimmed($0) }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
