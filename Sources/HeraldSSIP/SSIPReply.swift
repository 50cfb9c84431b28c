/// One complete SSIP reply: zero or more `NNN-data` lines, then `NNN text`.
///
/// The codes and words are Speech Dispatcher's (`src/server/msg.h`), because
/// clients match on them: libspeechd and the Python client look at the first
/// digit, people and scripts at the words. Where Speech Dispatcher's exact
/// words could not be checked here (no source at hand, only `ssip.info` and
/// memory), the constant says so; SSIP itself defines only the first digit of
/// codes below 700 as meaningful.
struct SSIPReply: Error, Sendable, Equatable, CustomStringConvertible {
    let code: Int
    let text: String
    var data: [String] = []

    init(_ code: Int, _ text: String, data: [String] = []) {
        self.code = code
        self.text = text
        self.data = data
    }

    /// True for 1xx and 2xx: the command did what was asked.
    var isSuccess: Bool { code < 300 }

    /// The bytes on the wire, CRLF-terminated. Data lines cannot carry a line
    /// break: one would end the reply early and desynchronise the client.
    var wire: String {
        var out = ""
        for line in data { out += "\(code)-\(Self.singleLine(line))\r\n" }
        out += "\(code) \(text)\r\n"
        return out
    }

    var description: String { wire }

    static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    // MARK: Success (2xx)

    static let languageSet = SSIPReply(201, "OK LANGUAGE SET")
    static let prioritySet = SSIPReply(202, "OK PRIORITY SET")
    static let rateSet = SSIPReply(203, "OK RATE SET")
    static let pitchSet = SSIPReply(204, "OK PITCH SET")
    static let punctuationSet = SSIPReply(205, "OK PUNCTUATION SET")
    static let capLetRecognSet = SSIPReply(206, "OK CAP LET RECOGNITION SET")
    static let spellingSet = SSIPReply(207, "OK SPELLING SET")
    static let clientNameSet = SSIPReply(208, "OK CLIENT NAME SET")
    static let voiceSet = SSIPReply(209, "OK VOICE SET")
    static let stopped = SSIPReply(210, "OK STOPPED")
    static let paused = SSIPReply(211, "OK PAUSED")
    static let resumed = SSIPReply(212, "OK RESUMED")
    static let canceled = SSIPReply(213, "OK CANCELED")
    static let outputModuleSet = SSIPReply(216, "OK OUTPUT MODULE SET")
    /// Words from memory of msg.h; unverified.
    static let pauseContextSet = SSIPReply(217, "OK PAUSE CONTEXT SET")
    static let volumeSet = SSIPReply(218, "OK VOLUME SET")
    static let ssmlModeSet = SSIPReply(219, "OK SSML MODE SET")
    static let notificationSet = SSIPReply(220, "OK NOTIFICATION SET")
    static let receivingData = SSIPReply(230, "OK RECEIVING DATA")
    static let bye = SSIPReply(231, "HAPPY HACKING")
    static let insideBlock = SSIPReply(260, "OK INSIDE BLOCK")
    static let outsideBlock = SSIPReply(261, "OK OUTSIDE BLOCK")
    /// Speech Dispatcher sends the debug folder as a data line; Herald writes
    /// no separate debug logs, so there is none to name.
    static let debugSet = SSIPReply(262, "OK DEBUGGING SET")
    static let pitchRangeSet = SSIPReply(263, "OK PITCH RANGE SET")

    static func messageQueued(_ id: UInt64) -> SSIPReply { SSIPReply(225, "OK MESSAGE QUEUED", data: ["\(id)"]) }
    static func clientID(_ id: Int) -> SSIPReply { SSIPReply(245, "OK CLIENT ID SENT", data: ["\(id)"]) }
    static func helpSent(_ lines: [String]) -> SSIPReply { SSIPReply(248, "OK HELP SENT", data: lines) }
    static func voiceList(_ lines: [String]) -> SSIPReply { SSIPReply(249, "OK VOICE LIST SENT", data: lines) }
    static func moduleList(_ lines: [String]) -> SSIPReply { SSIPReply(250, "OK MODULE LIST SENT", data: lines) }
    static func got(_ value: String) -> SSIPReply { SSIPReply(251, "OK GET RETURNED", data: [value]) }

    // MARK: Server-side refusals (3xx)

    static let alreadyInsideBlock = SSIPReply(330, "ERR ALREADY INSIDE BLOCK")
    static let alreadyOutsideBlock = SSIPReply(331, "ERR ALREADY OUTSIDE BLOCK")
    static let notAllowedInsideBlock = SSIPReply(332, "ERR NOT ALLOWED INSIDE BLOCK")

    // MARK: Bad arguments (4xx)

    /// A numeric client id that no connection has. Code and words from memory of msg.h; unverified.
    static let noSuchClient = SSIPReply(402, "ERR NO SUCH CLIENT")
    static let unknownPriority = SSIPReply(408, "ERR UNKNOWN PRIORITY")
    static let rateTooHigh = SSIPReply(409, "ERR RATE TOO HIGH")
    static let rateTooLow = SSIPReply(410, "ERR RATE TOO LOW")
    static let pitchTooHigh = SSIPReply(411, "ERR PITCH TOO HIGH")
    static let pitchTooLow = SSIPReply(412, "ERR PITCH TOO LOW")
    /// 413–416: Speech Dispatcher's numbering for volume and pitch range is unverified here.
    static let volumeTooHigh = SSIPReply(413, "ERR VOLUME TOO HIGH")
    static let volumeTooLow = SSIPReply(414, "ERR VOLUME TOO LOW")
    static let pitchRangeTooHigh = SSIPReply(415, "ERR PITCH RANGE TOO HIGH")
    static let pitchRangeTooLow = SSIPReply(416, "ERR PITCH RANGE TOO LOW")

    // MARK: Bad syntax (5xx)

    static let invalidCommand = SSIPReply(500, "ERR INVALID COMMAND")
    static let invalidEncoding = SSIPReply(501, "ERR INVALID ENCODING")
    /// Herald's own: Speech Dispatcher has no limit of its own to report.
    /// The first digit (5: unparseable input) is what SSIP defines.
    static let lineTooLong = SSIPReply(502, "ERR LINE TOO LONG")
    /// Herald's own, as above: the message was discarded, nothing was queued.
    static let messageTooLong = SSIPReply(503, "ERR MESSAGE TOO LONG")
    static let missingParameter = SSIPReply(510, "ERR MISSING PARAMETER")
    static let notANumber = SSIPReply(511, "ERR PARAMETER NOT A NUMBER")
    static let notOnOrOff = SSIPReply(513, "ERR PARAMETER NOT ON OR OFF")
    static let parameterInvalid = SSIPReply(514, "ERR PARAMETER INVALID")
}
