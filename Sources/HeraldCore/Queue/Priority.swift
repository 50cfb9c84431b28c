/// Speech Dispatcher's five priorities (docs/priorities.md).
///
/// The raw values are the words clients send over SSIP and D-Bus.
public enum Priority: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case important
    case message
    case text
    case notification
    case progress

    /// Parses a client's word for a priority, case-insensitively as SSIP requires.
    public init?(word: String) {
        self.init(rawValue: word.lowercased())
    }

    public var description: String { rawValue }

    /// 0 for important … 4 for progress: the order in which waiting messages are spoken.
    var rank: Int {
        switch self {
        case .important: 0
        case .message: 1
        case .text: 2
        case .notification: 3
        case .progress: 4
        }
    }
}
