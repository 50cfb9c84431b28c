/// Which messages a stop, cancel, pause or resume concerns.
public enum Scope: Sendable, Equatable {
    /// The calling client's own messages.
    case client(ClientID)
    /// Every client's messages.
    case all
    /// One message, by the id it was queued with.
    case message(UtteranceID)

    /// Parses the word clients send (`self`, `all`, or a decimal id); `self` means `caller`.
    public init?(word: String, caller: ClientID) {
        switch word.lowercased() {
        case "self": self = .client(caller)
        case "all": self = .all
        default:
            guard let id = UtteranceID(word) else { return nil }
            self = .message(id)
        }
    }

    func contains(_ utterance: Utterance) -> Bool {
        switch self {
        case .client(let client): utterance.client == client
        case .all: true
        case .message(let id): utterance.id == id
        }
    }
}
