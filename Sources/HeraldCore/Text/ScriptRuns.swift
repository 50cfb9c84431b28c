/// The writing systems Herald tells apart, so text in another alphabet than the
/// message's voice reads (a Russian quotation in English text) goes to a voice
/// that reads it. Latin text keeps the message's language: telling English
/// from Spanish takes more than the script.
enum Script: Sendable, Equatable {
    case latin, cyrillic, greek, arabic, hebrew, armenian, georgian
    case devanagari, bengali, gurmukhi, gujarati, oriya, tamil, telugu, kannada, malayalam, sinhala
    case thai, lao, khmer, myanmar, tibetan, ethiopic
    case hangul, kana, han
    /// Digits, punctuation, spaces, symbols, combining marks: they go with
    /// the text around them.
    case common

    /// The script of one scalar, by its Unicode block; combining marks of a
    /// script's block are that script, other marks common.
    static func of(_ scalar: Unicode.Scalar) -> Script {
        let value = scalar.value
        // Most text is ASCII: letters are Latin, the rest common.
        if value < 0x80 { return (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) ? .latin : .common }
        switch value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F:
            // (×, ÷ sit in Latin-1 among letters.)
            return value == 0xD7 || value == 0xF7 ? .common : .latin
        case 0x370...0x3FF, 0x1F00...0x1FFF: return .greek
        case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: return .cyrillic
        case 0x530...0x58F: return .armenian
        case 0x591...0x5FF, 0xFB1D...0xFB4F: return .hebrew
        case 0x600...0x6FF, 0x750...0x77F, 0x8A0...0x8FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF:
            // Arabic-Indic digits and Arabic punctuation read with the Arabic text; a comma between scripts is rare.
            return .arabic
        case 0x900...0x97F, 0xA8E0...0xA8FF: return .devanagari
        case 0x980...0x9FF: return .bengali
        case 0xA00...0xA7F: return .gurmukhi
        case 0xA80...0xAFF: return .gujarati
        case 0xB00...0xB7F: return .oriya
        case 0xB80...0xBFF: return .tamil
        case 0xC00...0xC7F: return .telugu
        case 0xC80...0xCFF: return .kannada
        case 0xD00...0xD7F: return .malayalam
        case 0xD80...0xDFF: return .sinhala
        case 0xE00...0xE7F: return .thai
        case 0xE80...0xEFF: return .lao
        case 0xF00...0xFFF: return .tibetan
        case 0x1000...0x109F: return .myanmar
        case 0x10A0...0x10FF, 0x1C90...0x1CBF, 0x2D00...0x2D2F: return .georgian
        case 0x1100...0x11FF, 0x3130...0x318F, 0xA960...0xA97F, 0xAC00...0xD7AF, 0xD7B0...0xD7FF: return .hangul
        case 0x1200...0x139F, 0x2D80...0x2DDF: return .ethiopic
        case 0x1780...0x17FF, 0x19E0...0x19FF: return .khmer
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return .kana
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F: return .han
        default:
            // Letters of other scripts are not told apart: they stay with the text around them.
            return .common
        }
    }

    /// The language whose voice reads this script (the tag espeak-ng lists).
    var language: String? {
        switch self {
        case .latin, .common: nil
        case .cyrillic: "ru"
        case .greek: "el"
        case .arabic: "ar"
        case .hebrew: "he"
        case .armenian: "hy"
        case .georgian: "ka"
        case .devanagari: "hi"
        case .bengali: "bn"
        case .gurmukhi: "pa"
        case .gujarati: "gu"
        case .oriya: "or"
        case .tamil: "ta"
        case .telugu: "te"
        case .kannada: "kn"
        case .malayalam: "ml"
        case .sinhala: "si"
        case .thai: "th"
        case .lao: "lo"
        case .khmer: "km"
        case .myanmar: "my"
        case .tibetan: "bo"
        case .ethiopic: "am"
        case .hangul: "ko"
        case .kana: "ja"
        case .han: "cmn"
        }
    }

    /// The scripts a voice of `language` reads (primary subtag); Latin when unknown.
    static func read(by language: String?) -> Set<Script> {
        switch Voice.primaryLanguage(language ?? "") {
        case "ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tt", "ba", "cv", "mn", "tg": [.cyrillic, .latin]
        case "el", "grc": [.greek, .latin]
        case "ar", "fa", "ur", "sd", "ug", "ps": [.arabic]
        case "he", "yi": [.hebrew]
        case "hy", "hyw": [.armenian]
        case "ka": [.georgian]
        case "hi", "mr", "ne", "sa", "kok", "mai", "bho": [.devanagari, .latin]
        case "bn", "as", "bpy": [.bengali]
        case "pa": [.gurmukhi]
        case "gu": [.gujarati]
        case "or": [.oriya]
        case "ta": [.tamil]
        case "te": [.telugu]
        case "kn": [.kannada]
        case "ml": [.malayalam]
        case "si": [.sinhala]
        case "th": [.thai]
        case "lo": [.lao]
        case "km": [.khmer]
        case "my", "shn": [.myanmar]
        case "bo", "dz": [.tibetan]
        case "am", "ti": [.ethiopic]
        case "ko": [.hangul, .han]
        case "ja": [.kana, .han]
        case "zh", "cmn", "yue", "hak", "wuu": [.han]
        default: [.latin]
        }
    }
}

/// Splits the words of a run by script: each stretch written in a script the
/// run's language does not read becomes a run of its own, in the language of
/// that script; the rest keeps the run's language. Marks and pauses stay in
/// order with the words around them.
enum ScriptRuns {
    struct Run: Equatable {
        var segments: [SpeechSegment]
        /// nil: the language of the text it came from.
        var language: String?
    }

    /// - Parameters:
    ///   - language: what the runs that stay are marked with (nil: unmarked).
    ///   - reader: the language of the voice reading the text, which decides
    ///     what is foreign (Latin when unknown).
    static func split(_ segments: [SpeechSegment], language: String?, reader: String?) -> [Run] {
        let readable = Script.read(by: reader)
        // One pass over the scalars: most messages have nothing foreign, and a megabyte must not wait.
        var hasKana = false
        var foreign = false
        for segment in segments {
            guard case .text(let words) = segment else { continue }
            for scalar in words.unicodeScalars where scalar.value >= 0x80 {
                let script = Script.of(scalar)
                if script == .kana { hasKana = true }
                if script != .common, !readable.contains(script) { foreign = true }
            }
        }
        // Han read as Japanese (kanji) where the text has kana.
        guard foreign || (hasKana && !readable.contains(.kana) && readable.contains(.han)) else {
            return [Run(segments: segments, language: language)]
        }
        var runs: [Run] = []
        var current = Run(segments: [], language: language)
        func append(_ segment: SpeechSegment, language: String?) {
            if language != current.language, !current.segments.isEmpty {
                runs.append(current)
                current = Run(segments: [], language: language)
            }
            current.language = language
            if case .text(let words) = segment, case .text(let before)? = current.segments.last {
                current.segments[current.segments.count - 1] = .text(before + words)
            } else {
                current.segments.append(segment)
            }
        }
        for segment in segments {
            guard case .text(let words) = segment else {
                append(segment, language: current.language)
                continue
            }
            let scalars = words.unicodeScalars
            var pieceStart = scalars.startIndex
            var pieceLanguage = current.language
            var index = scalars.startIndex
            while index < scalars.endIndex {
                var script = Script.of(scalars[index])
                if script == .han, hasKana { script = .kana }
                let target: String? =
                    switch script {
                    case .common: pieceLanguage
                    case let other where readable.contains(other): language
                    default: script.language
                    }
                if target != pieceLanguage, index > pieceStart {
                    append(.text(String(scalars[pieceStart..<index])), language: pieceLanguage)
                    pieceStart = index
                }
                pieceLanguage = target
                index = scalars.index(after: index)
            }
            if index > pieceStart { append(.text(String(scalars[pieceStart..<index])), language: pieceLanguage) }
        }
        if !current.segments.isEmpty { runs.append(current) }
        return runs
    }
}
