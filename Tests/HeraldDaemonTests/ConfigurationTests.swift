import HeraldConfig
import Foundation
import HeraldDaemon
import Testing

struct ConfigurationTests {
    @Test func noFileMeansEspeakOnTheDefaultDevice() throws {
        let config = try Configuration.load(path: nil as String?, environmentHome: "/nonexistent-herald-test")
        #expect(config.engines == [Configuration.Engine(model: "espeak-ng")])
        #expect(config.audioDevice == "default")
    }

    @Test func theDesignExampleParses() throws {
        let text = """
            [cloudflare]
            account_id = "abc123"
            api_token_file = "~/.config/herald/token"

            [[engine]]
            model = "@cf/deepgram/aura-2-en"
            transport = "websocket"
            speaker = "luna"

            [[engine]]
            model = "@cf/myshell-ai/melotts"

            [[engine]]
            model = "espeak-ng"

            [audio]
            device = "pulse"

            [ssip]
            socket = "/run/user/1000/herald/ssip.sock"
            speechd_compat = true
            """
        let config = try Configuration.parse(text, file: "config.toml")
        #expect(config.engines.map(\.model) == ["@cf/deepgram/aura-2-en", "@cf/myshell-ai/melotts", "espeak-ng"])
        #expect(config.engines[0].speaker == "luna")
        #expect(config.audioDevice == "pulse")
        #expect(config.speechdCompat)
        #expect(config.cloudflare.accountID == "abc123")
    }

    @Test func espeakIsAlwaysTheLastResort() throws {
        let config = try Configuration.parse("[[engine]]\nmodel = \"@cf/deepgram/aura-1\"\n", file: "c.toml")
        #expect(config.engines.map(\.model) == ["@cf/deepgram/aura-1", "espeak-ng"])
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let text: String
        let line: Int?
        let key: String?
        let says: String
        var testDescription: String { says }
    }

    static let bad: [Bad] = [
        Bad(text: "[audio]\ndevice = \n", line: 2, key: nil, says: "expected value"),
        Bad(text: "[audio]\ndevcie = \"x\"\n", line: 2, key: "[audio] devcie", says: "unknown key"),
        Bad(text: "\n[audio]\ndevice = 5\n", line: 3, key: "[audio] device", says: "must be a string"),
        Bad(text: "[[engine]]\nmodel = \"@cf/nope\"\n", line: 2, key: "[engine] model", says: "unknown model"),
        Bad(text: "[[engine]]\nspeaker = \"luna\"\n", line: 1, key: "model", says: "has no model"),
        Bad(text: "[ssip]\nspeechd_compat = \"yes\"\n", line: 2, key: "[ssip] speechd_compat", says: "true or false"),
        Bad(text: "[cloudflare]\nbase_url = \"ftp://x\"\n", line: 2, key: "[cloudflare] base_url", says: "https://"),
        Bad(text: "[cloudflare]\nstall_timeout_ms = 5\n", line: 2, key: "[cloudflare] stall_timeout_ms", says: "100 to 60000"),
        Bad(text: "[cloudflare]\ncooldown_seconds = \"1\"\n", line: 2, key: "[cloudflare] cooldown_seconds", says: "whole number"),
        Bad(
            text: "[[engine]]\nmodel = \"@cf/myshell-ai/melotts\"\ntransport = \"websocket\"\n", line: 3,
            key: "[engine] transport", says: "melotts does not stream"),
        Bad(
            text: "[[engine]]\nmodel = \"@cf/deepgram/aura-2\"\ntransport = \"post\"\n", line: 3, key: "[engine] transport",
            says: "aura-2 has no POST endpoint"),
        Bad(
            text: "[[engine]]\nmodel = \"@cf/deepgram/aura-2-es\"\nspeaker = \"luna\"\n", line: 3, key: "[engine] speaker",
            says: "aura-2-es has no speaker \"luna\""),
        Bad(
            text: "[[engine]]\nmodel = \"@cf/deepgram/aura-2-en\"\nsample_rate = 22050\n", line: 3, key: "[engine] sample_rate",
            says: "not a streaming rate"),
        Bad(text: "[[engine]]\nmodel = \"espeak-ng\"\nspeaker = \"x\"\n", line: 2, key: "[engine] model", says: "takes no transport, speaker"),
        Bad(text: "[voices]\nes = 3\n", line: 2, key: "[voices] es", says: "must be a string"),
        Bad(text: "[voices]\nes = \"\"\n", line: 2, key: "[voices] es", says: "voice id"),
    ]

    @Test func cloudSettingsParse() throws {
        let config = try Configuration.parse(
            """
            [cloudflare]
            stall_timeout_ms = 900
            cooldown_seconds = 5

            [[engine]]
            model = "@cf/deepgram/aura-2-es"
            speaker = "javier"
            sample_rate = 16000
            language = "es"

            [voices]
            es = "@cf/deepgram/aura-2-es:javier"
            """, file: "c.toml")
        #expect(config.cloudflare.stallTimeout == .milliseconds(900) && config.cloudflare.cooldown == .seconds(5))
        #expect(config.engines.first == Configuration.Engine(model: "@cf/deepgram/aura-2-es", speaker: "javier", language: "es", sampleRate: 16_000))
        #expect(config.defaultVoices == ["es": "@cf/deepgram/aura-2-es:javier"])
    }

    /// The same mistakes in a file saved with Windows line endings point at the same lines.
    @Test(arguments: bad)
    func badConfigWithCRLFEndingsNamesTheSameLine(_ bad: Bad) {
        let crlf = bad.text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect {
            try Configuration.parse(crlf, file: "c.toml")
        } throws: { error in
            (error as? ConfigurationError)?.line == bad.line
        }
    }

    @Test(arguments: bad)
    func badConfigNamesFileLineAndKey(_ bad: Bad) {
        #expect {
            try Configuration.parse(bad.text, file: "/home/u/.config/herald/config.toml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.file == "/home/u/.config/herald/config.toml" && error.line == bad.line && error.key == bad.key
                && error.description.contains(bad.says)
        }
    }

    @Test func theTokenNeverAppearsInDescriptionsOrErrors() throws {
        let config = try Configuration.parse("[cloudflare]\napi_token = \"sekrit-token-value\"\n", file: "c.toml")
        #expect(!"\(config.cloudflare)".contains("sekrit"))
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse("[cloudflare]\napi_token = 42\n", file: "c.toml")
        }
        do {
            _ = try Configuration.parse("[cloudflare]\napi_token = \"sekrit\nmore\"\n", file: "c.toml")
        } catch {
            #expect(!"\(error)".contains("sekrit"))
        }
    }

    /// A token in a config file others can read is refused as one in an open
    /// token file is (EngineFactory then keeps the cloud off, saying chmod 600);
    /// a token-less config may be readable by anyone, as configs usually are.
    @Test(arguments: [
        (0o600, true, false), (0o640, true, true), (0o604, true, true), (0o644, true, true), (0o644, false, false),
    ])
    func aTokenInAConfigOthersCanReadIsRefused(mode: Int, holdsToken: Bool, refused: Bool) throws {
        let folder = NSTemporaryDirectory() + "herald-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/config.toml"
        let token = holdsToken ? "api_token = \"sekrit-token-value\"\n" : "api_token_file = \"~/t\"\n"
        try "[cloudflare]\naccount_id = \"a\"\n\(token)".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let config = try Configuration.load(path: path)
        #expect(config.cloudflare.apiTokenFileTooOpen == (refused ? path : nil))
    }

    /// Regression (fuzz/run.sh config): toml++ inside TOMLKit asserts (abort in a
    /// debug build, undefined behaviour in release) on a table header that does
    /// not start with a name. Each is refused with its line instead.
    @Test(arguments: [
        ("[[:engine]]\nmodel = \"espeak-ng\"\n", 1), ("[audio]\ndevice = \"x\"\n[\n", 3), ("[#]\n", 1),
        ("\r\n  [[ \t:x]]\r\n", 2), ("[é]\n", 1),
        // After a byte-order mark, which toml++ skips (fuzz/corpus/config/regress-bom-table-header).
        ("\u{FEFF}[é]\n", 1), ("\u{FEFF}[[:engine]]\n", 1), ("\u{FEFF}[\u{FFFD}lou_\u{FFFD}oti\"vt\n", 1),
    ])
    func aTableHeaderWithoutANameIsRefusedNotAborted(text: String, line: Int) {
        #expect {
            _ = try Configuration.parse(text, file: "c.toml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.line == line && error.problem.contains("table header must name its table")
        }
        // Names, quoted names and the blank-name error TOMLKit reports itself still work.
        #expect((try? Configuration.parse("[ audio ]\ndevice = \"x\"\n[[ \"engine\" ]]\nmodel = \"espeak-ng\"\n", file: "c.toml")) != nil)
        #expect(throws: ConfigurationError.self) { try Configuration.parse("[]\n", file: "c.toml") }
        #expect((try? Configuration.parse("\u{FEFF}[audio]\ndevice = \"x\"\n", file: "c.toml"))?.audioDevice == "x")
    }

    /// Regression (fuzz/run.sh config): `b = [1,}]` inside an inline table made
    /// toml++ assert in parse_value. Herald's config has no arrays or inline
    /// tables, so a value starting with `[` or `{` is refused with its line.
    @Test(arguments: [
        ("a = { b = [1,}] }\n", 1), ("[audio]\ndevice = [\"x\"]\n", 2), ("[ssip]\n\"k=\" \t= {x = 1}\n", 2),
    ])
    func arraysAndInlineTablesAreRefusedBeforeTOMLKit(text: String, line: Int) {
        #expect {
            _ = try Configuration.parse(text, file: "c.toml")
        } throws: { error in
            (error as? ConfigurationError)?.line == line && "\(error)".contains("no arrays or inline tables")
        }
        // An equals sign or a bracket inside a string or a comment is no value.
        let fine = "[audio] # [x = [\ndevice = \"a=[b]\" # = {\n"
        #expect((try? Configuration.parse(fine, file: "c.toml"))?.audioDevice == "a=[b]")
    }
}
