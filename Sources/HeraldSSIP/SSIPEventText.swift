internal import HeraldCore

/// Speech events as SSIP notifications (ssip.info 4.7.3).
enum SSIPEventText {
    /// The notification for `event`, or nil when the client did not ask for
    /// that kind. A failure is reported as `703 CANCELED`: SSIP has no
    /// failed event, and canceled is what tells a client the message will
    /// not be spoken.
    static func format(_ event: SpeechEvent, clientNumber: Int, enabled: NotificationSet) -> String? {
        let code: Int
        let text: String
        var extra: String?
        switch event.kind {
        case .indexMark(let name):
            guard enabled.contains(.indexMarks) else { return nil }
            (code, text, extra) = (700, "INDEX MARK", SSIPReply.singleLine(name))
        case .began:
            guard enabled.contains(.begin) else { return nil }
            (code, text) = (701, "BEGIN")
        case .ended:
            guard enabled.contains(.end) else { return nil }
            (code, text) = (702, "END")
        case .canceled, .failed:
            guard enabled.contains(.cancel) else { return nil }
            (code, text) = (703, "CANCELED")
        case .paused:
            guard enabled.contains(.pause) else { return nil }
            (code, text) = (704, "PAUSED")
        case .resumed:
            guard enabled.contains(.resume) else { return nil }
            (code, text) = (705, "RESUMED")
        case .word, .sentence:
            // SSIP has no such notifications, and its messages carry no places.
            return nil
        }
        var out = "\(code)-\(event.id)\r\n\(code)-\(clientNumber)\r\n"
        if let extra { out += "\(code)-\(extra)\r\n" }
        return out + "\(code) \(text)\r\n"
    }
}
