/// Words for things read one character or one key at a time: spelling mode,
/// SSIP `CHAR` and SSIP `KEY`. Screen-reader users hear these on every
/// keypress, so they are short, and the same on every engine.
public enum Speller {
    /// Each character by name, separated by ", " so every engine pauses
    /// between them: "Hi!" → "capital h, i, exclamation mark".
    /// Letters stay as written unless `capitals` asks for "capital"; digits
    /// stay digits; whitespace and punctuation are named.
    public static func spell(_ text: String, capitals: CapitalLetterMode) -> String {
        text.map { name(of: $0, capitals: capitals) }.joined(separator: ", ")
    }

    /// What SSIP `CHAR` speaks. The protocol sends a space as the word `space`;
    /// anything longer than one character is spelled.
    public static func characterName(_ character: String, capitals: CapitalLetterMode) -> String {
        if character == "space" { return "space" }
        guard character.count == 1, let only = character.first else {
            return spell(character, capitals: capitals)
        }
        return name(of: only, capitals: capitals)
    }

    /// What SSIP `KEY` speaks: modifiers and the key joined by `_`
    /// (`control_alt_Delete` → "control alt delete"), X keysym spellings
    /// (`KP_Enter`, `Page_Up`) and Speech Dispatcher's (`kp-enter`, `num-lock`).
    public static func keyName(_ ssipKey: String) -> String {
        if ssipKey == "_" { return "underscore" }
        let parts = ssipKey.split(separator: "_").map { $0.lowercased() }
        var words: [String] = []
        var keypad = false
        for part in parts {
            if part == "kp" {
                keypad = true
                continue
            }
            var key = part
            if key.hasPrefix("kp-") && key.count > 3 {
                keypad = true
                key.removeFirst(3)
            }
            if keypad {
                words.append("keypad")
                keypad = false
                words.append(keypadKeys[key] ?? keyWord(key))
            } else {
                words.append(keyWord(key))
            }
        }
        if keypad { words.append("keypad") }
        return words.joined(separator: " ")
    }

    private static func keyWord(_ key: String) -> String {
        if let word = keys[key] { return word }
        if key.count == 1, let scalar = key.unicodeScalars.first, let name = PunctuationReader.name(of: scalar) {
            return name
        }
        if key.count > 1 && key.contains("-") { return key.replacing("-", with: " ") }
        return key
    }

    static func name(of character: Character, capitals: CapitalLetterMode) -> String {
        switch character {
        case " ": return "space"
        case "\n", "\r\n", "\r": return "newline"
        case "\t": return "tab"
        default: break
        }
        if character.isWhitespace { return "space" }
        if character.unicodeScalars.count == 1, let scalar = character.unicodeScalars.first,
            let name = PunctuationReader.name(of: scalar)
        {
            return name
        }
        if character.isUppercase && capitals != .none {
            return "capital " + character.lowercased()
        }
        return String(character)
    }

    private static let keys: [String: String] = [
        "ctrl": "control", "control": "control", "shift": "shift", "alt": "alt", "altgr": "alt graph",
        "super": "super", "hyper": "hyper", "meta": "meta",
        "return": "enter", "enter": "enter", "backspace": "backspace", "delete": "delete", "del": "delete",
        "escape": "escape", "esc": "escape", "tab": "tab", "space": "space", "underscore": "underscore",
        "double-quote": "double quote", "prior": "page up", "next": "page down", "print": "print screen",
        "num-lock": "num lock", "scroll-lock": "scroll lock", "window": "windows", "menu": "menu",
    ]

    private static let keypadKeys: [String: String] = [
        "-": "minus", "+": "plus", "*": "times", "/": "divide", ".": "dot", "enter": "enter",
    ]
}
