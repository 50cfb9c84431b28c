public import HeraldDBus

/// The error replies of Herald's Spiel provider: `org.herald.Speech.Provider.Error.*`
/// with one readable line that says what to send instead, and never the text.
public enum SpielError {
    public static let prefix = "org.herald.Speech.Provider.Error."

    public static func invalid(_ message: String) -> DBusError {
        DBusError(name: prefix + "InvalidArgument", message: message)
    }

    public static func unknownVoice(_ id: String) -> DBusError {
        DBusError(
            name: prefix + "UnknownVoice",
            message: "No voice has the id \"\(id.prefix(80))\"; the Voices property lists the ids Herald offers.")
    }

    public static func badPipe(_ message: String) -> DBusError {
        DBusError(name: prefix + "BadPipe", message: message)
    }

    public static func busy(_ limit: Int) -> DBusError {
        DBusError(
            name: prefix + "Busy",
            message: "Herald is already synthesising \(limit) Spiel requests; close a finished pipe or retry shortly.")
    }
}
