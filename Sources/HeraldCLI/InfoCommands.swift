internal import ArgumentParser
internal import FoundationEssentials
internal import Glibc
internal import HeraldCore
internal import HeraldDBus
internal import HeraldWorkersAI

/// `herald voices`: every voice of the configured engines.
struct VoicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voices", abstract: "List the voices Herald can speak with.",
        discussion: "Local voices (espeak-ng) work offline; cloud voices need the Cloudflare settings of the config.")

    @Option(name: .long, help: "Only voices of this language (es lists es-ES and es-MX too).")
    var language: String?

    struct Listed {
        let id: String
        let name: String
        let language: String
        let engine: String
        /// Cloud when the engine is a Workers AI model (its catalogue says), local otherwise.
        var kind: String { WorkersAIModel.named(engine) == nil ? "local" : "cloud" }
    }

    func run() async throws {
        do throws(CLIError) {
            let client = try await DaemonClient.connect()
            var voices = try await Self.list(client)
            if let language {
                voices = voices.filter { Voice.language($0.language, isWithin: language) }
                guard !voices.isEmpty else { throw CLIError(Self.noVoice(for: language)) }
            }
            let rows = [["ID", "NAME", "LANGUAGE", "ENGINE", "KIND"]] + voices.map { [$0.id, $0.name, $0.language, $0.engine, $0.kind] }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<4).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
                print((padded + [row[4]]).joined(separator: "  "))
            }
        } catch {
            fail(error)
        }
    }

    static func list(_ client: DaemonClient) async throws(CLIError) -> [Listed] {
        let reply = try await client.call("ListVoices")
        guard case .array(_, let entries)? = reply.first else { throw CLIError("the daemon gave an unexpected reply to ListVoices") }
        return entries.compactMap { entry in
            guard case .struct(let fields) = entry, fields.count == 4 else { return nil }
            let strings = fields.map { $0.string ?? "" }
            return Listed(id: strings[0], name: strings[1], language: strings[2], engine: strings[3])
        }
    }

    /// Refuses a language no voice speaks, before anything is sent.
    static func checkSpoken(_ language: String, client: DaemonClient) async throws(CLIError) {
        guard language.count <= 35, language.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            language.first?.isLetter == true
        else { throw CLIError("\(language) is not a language tag; use one such as es, en-GB or pt-BR") }
        let voices = try await list(client)
        let primary = Voice.primaryLanguage(language)
        guard voices.contains(where: { Voice.language($0.language, isWithin: primary) }) else {
            throw CLIError(noVoice(for: language))
        }
    }

    static func noVoice(for language: String) -> String {
        "no voice speaks \(language); herald voices lists the languages (cloud voices need the Cloudflare settings)"
    }

}

/// `herald status`: whether the daemon runs and what it is doing; never any text.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what the daemon is doing.")

    func run() async throws {
        do throws(CLIError) {
            let client = try await DaemonClient.connect(start: false)
            guard (try? await client.connection.nameHasOwner(DaemonClient.busName)) == true else {
                print("daemon: not running")
                return
            }
            var status: [String: String] = [:]
            for (key, value) in try await client.status() {
                switch value {
                case .string(let text): status[key] = text
                case .uint32(let number): status[key] = String(number)
                case .uint64(let number): status[key] = String(number)
                default: continue
                }
            }
            print("daemon: running (interface version \(status["version"] ?? "?"))")
            for key in ["state", "queued", "speaking", "engine", "config"] {
                if let value = status[key] { print("\(key): \(value)") }
            }
        } catch {
            fail(error)
        }
    }
}

/// Unbuffered writes to standard output and error, with write(2):
/// FoundationEssentials has no FileHandle, and `herald` links no more of
/// Foundation (its ICU data alone was 34 MB of the binary).
enum FileHandleOutput {
    static func standardError(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    static func standardOutput(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// All of `text`, or as much as the descriptor takes before an error
    /// (a closed pipe): output is best effort, as FileHandle's was.
    private static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
