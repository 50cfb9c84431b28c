import Foundation
import HeraldCore
import HeraldTesting
import Testing

/// Runs `Transcripts` over a real socket against the real pipeline.
@Suite struct TranscriptTests {
    static let cases: [(name: String, script: String, ending: String)] = Transcripts.all.flatMap {
        [($0.name, $0.script, "\r\n"), ($0.name, $0.script, "\n")]
    }

    /// One server for all transcripts (each on a connection of its own, one
    /// after another), so the suite claims a single capture PCM.
    @Test func transcripts() async throws {
        try await SSIPTestServer.with { server in
            let voices = await server.pipeline.voices()
            let voice = try #require(voices.first { $0.language == "en-us" } ?? voices.first)
            for (name, script, ending) in Self.cases {
                let filled = script.replacing("$VOICE_LANGUAGE", with: voice.language)
                    .replacing("$VOICE", with: voice.name)
                    .replacing("$MODULE", with: server.pipeline.engineName)
                let client = try server.connect()
                defer { client.close() }
                try await TranscriptRunner(client: client, ending: ending)
                    .run(filled, name: "\(name) (\(ending == "\n" ? "LF" : "CRLF"))")
            }
        }
    }
}

/// Plays a transcript: sends `>` lines, and checks `<` lines one by one as they come.
struct TranscriptRunner {
    let client: SSIPTestClient
    let ending: String

    func run(_ script: String, name: String) async throws {
        var bindings: [String: String] = [:]
        for (number, raw) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line == ">" {
                try client.send("", ending: ending)
            } else if line.hasPrefix("> ") {
                var text = String(line.dropFirst(2))
                for (name, value) in bindings { text = text.replacing("{\(name)}", with: value) }
                try client.send(text, ending: ending)
            } else if line.hasPrefix("< ") {
                let expected = String(line.dropFirst(2))
                guard let actual = try await client.readLine() else {
                    Issue.record("\(name) line \(number + 1): the server closed the connection; expected \(expected)")
                    return
                }
                guard Self.match(actual, expected, &bindings) else {
                    Issue.record(
                        "\(name) line \(number + 1): expected \(expected.debugDescription), got \(actual.debugDescription)"
                    )
                    return
                }
            } else {
                Issue.record("\(name) line \(number + 1): not a transcript line: \(line)")
            }
        }
    }

    /// Matches `actual` against `expected` with `{n}` and `{name}` placeholders.
    static func match(_ actual: String, _ expected: String, _ bindings: inout [String: String]) -> Bool {
        var actual = Substring(actual)
        var expected = Substring(expected)
        while !expected.isEmpty {
            if expected.first == "{", let close = expected.firstIndex(of: "}") {
                let name = String(expected[expected.index(after: expected.startIndex)..<close])
                expected = expected[expected.index(after: close)...]
                let digits = actual.prefix { $0.isNumber }
                guard !digits.isEmpty else { return false }
                actual = actual.dropFirst(digits.count)
                if name == "n" { continue }
                if let bound = bindings[name] {
                    guard bound == digits else { return false }
                } else {
                    bindings[name] = String(digits)
                }
            } else {
                guard actual.first == expected.first else { return false }
                actual = actual.dropFirst()
                expected = expected.dropFirst()
            }
        }
        return actual.isEmpty
    }
}
