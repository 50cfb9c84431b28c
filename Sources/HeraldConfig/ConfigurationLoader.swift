internal import Glibc
internal import HeraldCore
internal import HeraldSystem
internal import HeraldWorkersAI
internal import TOMLKit

extension Configuration {
    /// The models an `[[engine]]` may name (docs/workers-ai.md), plus the offline voice.
    public static let knownModels: Set<String> = Set(WorkersAIModel.all.map(\.name) + [offlineModel])

    /// The file `heraldd` reads without `--config`: `$XDG_CONFIG_HOME/herald/config.toml`.
    public static func defaultPath(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessEnvironment.current
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessEnvironment.home(environment) + "/.config"
        return base + "/herald/config.toml"
    }

    /// Reads `path`, or the default path when nil (`environmentHome` stands in
    /// for `$HOME` in tests). A missing default file is
    /// no error (defaults apply); a missing file named explicitly is.
    public static func load(path: String?, environmentHome: String? = nil) throws(ConfigurationError) -> Configuration {
        let file = path ?? defaultPath(environment: environmentHome.map { ["HOME": $0] })
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(file)
        } catch where error.isMissing {
            if path == nil { return Configuration() }
            throw ConfigurationError(file: file, line: nil, key: nil, problem: "no such file")
        } catch {
            throw ConfigurationError(file: file, line: nil, key: nil, problem: "cannot be read (check its permissions)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(file: file, line: nil, key: nil, problem: "is not UTF-8 text")
        }
        var configuration = try parse(text, file: file)
        if let token = configuration.cloudflare.apiToken, !token.isEmpty, isReadableByOthers(file) {
            configuration.cloudflare.apiTokenFileTooOpen = file
        }
        return configuration
    }

    /// True when the group or others have any access to `path` (after symlinks).
    private static func isReadableByOthers(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & (S_IRWXG | S_IRWXO) != 0
    }

    /// Parses config text; `file` only names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> Configuration {
        let table = try TOMLPreflight.table(text, file: file)
        var reader = TableReader(file: file, source: text)
        return try reader.configuration(from: table)
    }
}

/// Walks the parsed table, checking every key and type, and remembering
/// where each key is written so errors can point at its line.
private struct TableReader {
    let file: String
    let lines: [Substring]

    init(file: String, source: String) {
        self.file = file
        // TOML ends lines with "\n" or "\r\n". Swift reads "\r\n" as one
        // Character, which a split on "\n" never matches: a file saved with
        // Windows line endings would put every error on line 1.
        lines = source.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    mutating func configuration(from table: TOMLTable) throws(ConfigurationError) -> Configuration {
        var config = Configuration()
        try only(["cloudflare", "engine", "voices", "audio", "ssip", "text"], in: table, section: nil)

        if let cloudflare = table["cloudflare"] {
            let section = try self.table(cloudflare, key: "cloudflare", section: nil)
            try only(
                ["account_id", "api_token", "api_token_file", "base_url", "stall_timeout_ms", "cooldown_seconds"], in: section,
                section: "cloudflare")
            if let milliseconds = try integer(section, "stall_timeout_ms", section: "cloudflare", in: 100...60_000) {
                config.cloudflare.stallTimeout = .milliseconds(milliseconds)
            }
            if let seconds = try integer(section, "cooldown_seconds", section: "cloudflare", in: 0...3_600) {
                config.cloudflare.cooldown = .seconds(seconds)
            }
            config.cloudflare.accountID = try string(section, "account_id", section: "cloudflare")
            config.cloudflare.apiToken = try string(section, "api_token", section: "cloudflare", secret: true)
            config.cloudflare.apiTokenFile = try string(section, "api_token_file", section: "cloudflare")
            if let base = try string(section, "base_url", section: "cloudflare") {
                guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                    throw error("base_url", section: "cloudflare", "must start with https:// (or http:// for a local test server)")
                }
                config.cloudflare.baseURL = base
            }
        }

        if let engines = table["engine"] {
            guard let array = engines.array else {
                throw error("engine", section: nil, "must be written as [[engine]] tables")
            }
            var entries: [Configuration.Engine] = []
            for (index, value) in array.enumerated() {
                let name = "engine #\(index + 1)"
                guard let section = value.table else { throw error("engine", section: nil, "must be written as [[engine]] tables") }
                try only(["model", "transport", "speaker", "language", "sample_rate", "connections"], in: section, section: "engine")
                guard let model = try string(section, "model", section: "engine") else {
                    throw ConfigurationError(
                        file: file, line: line(ofSection: "[[engine]]", occurrence: index), key: "model",
                        problem: "\(name) has no model; name one of \(Configuration.knownModels.sorted().joined(separator: ", "))")
                }
                guard Configuration.knownModels.contains(model) else {
                    throw error("model", section: "engine", "unknown model \"\(model)\"; use one of \(Configuration.knownModels.sorted().joined(separator: ", "))")
                }
                let transport = try string(section, "transport", section: "engine")
                if let transport, !["websocket", "post"].contains(transport) {
                    throw error("transport", section: "engine", "must be \"websocket\" or \"post\"")
                }
                let speaker = try string(section, "speaker", section: "engine")
                let sampleRate = try integer(section, "sample_rate", section: "engine", in: 8_000...48_000)
                let connections = try integer(section, "connections", section: "engine", in: 1...AuraStreamEngine.maxConnections)
                if let cloud = WorkersAIModel.named(model) {
                    try check(cloud, transport: transport, speaker: speaker, sampleRate: sampleRate)
                    if connections != nil, transport == "post" || !cloud.supportsWebSocket {
                        throw error("connections", section: "engine", "\(model) over POST keeps no connections; remove `connections` or use transport = \"websocket\"")
                    }
                } else if transport != nil || speaker != nil || sampleRate != nil || connections != nil {
                    throw error("model", section: "engine", "espeak-ng takes no transport, speaker, sample_rate or connections; choose its voice per message")
                }
                entries.append(
                    Configuration.Engine(
                        model: model, transport: transport, speaker: speaker,
                        language: try string(section, "language", section: "engine"), sampleRate: sampleRate, connections: connections))
            }
            if !entries.contains(where: \.isOffline) { entries.append(Configuration.Engine(model: Configuration.offlineModel)) }
            config.engines = entries
        }

        if let voices = table["voices"] {
            let section = try self.table(voices, key: "voices", section: nil)
            for key in section.keys {
                guard let voice = try string(section, key, section: "voices"), !voice.isEmpty,
                    key.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "_" })
                else { throw error(key, section: "voices", "must map a language tag to a voice id, e.g. es = \"@cf/deepgram/aura-2-es:javier\"") }
                config.defaultVoices[key] = voice
            }
        }

        if let audio = table["audio"] {
            let section = try self.table(audio, key: "audio", section: nil)
            try only(["device"], in: section, section: "audio")
            if let device = try string(section, "device", section: "audio") {
                guard !device.isEmpty else { throw error("device", section: "audio", "must name an ALSA PCM, e.g. \"default\" (see aplay -L)") }
                config.audioDevice = device
            }
        }

        if let ssip = table["ssip"] {
            let section = try self.table(ssip, key: "ssip", section: nil)
            try only(["socket", "speechd_compat"], in: section, section: "ssip")
            config.ssipSocket = try string(section, "socket", section: "ssip")
            if let compat = section["speechd_compat"] {
                guard let flag = compat.bool else { throw error("speechd_compat", section: "ssip", "must be true or false") }
                config.speechdCompat = flag
            }
        }
        if let text = table["text"] {
            let section = try self.table(text, key: "text", section: nil)
            try only(["lexicon", "detect_script"], in: section, section: "text")
            if let detect = section["detect_script"] {
                guard let flag = detect.bool else { throw error("detect_script", section: "text", "must be true or false") }
                config.detectScript = flag
            }
            if let lexicon = try string(section, "lexicon", section: "text") {
                guard !lexicon.isEmpty else { throw error("lexicon", section: "text", "must name a file, e.g. \"~/.config/herald/lexicon.toml\"") }
                config.lexicon = lexicon
            }
        }
        return config
    }

    /// A cloud engine entry the catalogue allows: the transport exists for the
    /// model, the speaker is one of its speakers, the rate one it streams.
    private func check(_ model: WorkersAIModel, transport: String?, speaker: String?, sampleRate: Int?) throws(ConfigurationError) {
        if transport == "websocket", !model.supportsWebSocket {
            throw error("transport", section: "engine", "\(model.name) does not stream over a WebSocket; use transport = \"post\"")
        }
        if transport == "post", !model.supportsPost {
            throw error("transport", section: "engine", "\(model.name) has no POST endpoint; use transport = \"websocket\"")
        }
        do throws(EngineError) {
            try model.check(speaker: speaker)
        } catch {
            throw self.error("speaker", section: "engine", error.message)
        }
        let streams = transport == "websocket" || (transport == nil && model.supportsWebSocket)
        if let sampleRate, streams, !AuraStreamEngine.sampleRates.contains(sampleRate) {
            throw error(
                "sample_rate", section: "engine",
                "\(sampleRate) is not a streaming rate; use one of \(AuraStreamEngine.sampleRates.sorted().map(String.init).joined(separator: ", "))")
        }
    }

    private func integer(_ table: TOMLTable, _ key: String, section: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw error(key, section: section, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private func table(_ value: any TOMLValueConvertible, key: String, section: String?) throws(ConfigurationError) -> TOMLTable {
        guard let table = value.table else { throw error(key, section: section, "must be a [\(key)] table") }
        return table
    }

    private func string(_ table: TOMLTable, _ key: String, section: String, secret: Bool = false) throws(ConfigurationError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else {
            throw error(key, section: section, secret ? "must be a string" : "must be a string in quotes")
        }
        return string
    }

    private func only(_ allowed: Set<String>, in table: TOMLTable, section: String?) throws(ConfigurationError) {
        for key in table.keys where !allowed.contains(key) {
            throw error(key, section: section, "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    private func error(_ key: String, section: String?, _ problem: String) -> ConfigurationError {
        let name = section.map { "[\($0)] \(key)" } ?? key
        return ConfigurationError(file: file, line: line(of: key, section: section), key: name, problem: problem)
    }

    /// The line (1-based) where `key` is assigned inside `section`, found by
    /// scanning the text: TOMLKit keeps no positions for values.
    private func line(of key: String, section: String?) -> Int? {
        var inSection = section == nil
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("[") {
                let name = String(line.trimming { $0 == "[" || $0 == "]" || $0.isWhitespace })
                inSection = name == section || (section == nil && name == key)
                if section == nil, name == key { return index + 1 }
                continue
            }
            guard inSection, line.hasPrefix(key) else { continue }
            let rest = line.dropFirst(key.count).trimmingWhitespace()
            if rest.hasPrefix("=") { return index + 1 }
        }
        return nil
    }

    private func line(ofSection header: String, occurrence: Int) -> Int? {
        var seen = 0
        for (index, raw) in lines.enumerated() where raw.trimmingWhitespace().hasPrefix(header) {
            if seen == occurrence { return index + 1 }
            seen += 1
        }
        return nil
    }
}
