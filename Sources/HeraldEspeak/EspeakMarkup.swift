internal import HeraldCore

/// Turns a prepared chunk into the SSML espeak-ng reads, so marks are reported
/// by the engine at their exact audio positions.
enum EspeakMarkup {
    static func ssml(for chunk: SpeechChunk) -> String {
        var ssml = "<speak>"
        for segment in chunk.segments {
            switch segment {
            case .text(let text): ssml += escape(text)
            case .mark(let name): ssml += "<mark name=\"\(escape(name))\"/>"
            case .pause(let milliseconds): ssml += "<break time=\"\(milliseconds)ms\"/>"
            }
        }
        return ssml + "</speak>"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
