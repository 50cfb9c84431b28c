internal import ArgumentParser
internal import Foundation
internal import HeraldDBus

/// `herald voices`: every voice of the configured engines.
struct VoicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "voices", abstract: "List the voices Herald can speak with.")

    func run() async throws {
        do throws(CLIError) {
            let client = try await DaemonClient.connect()
            let reply = try await client.call("ListVoices")
            guard case .array(_, let entries)? = reply.first else { throw CLIError("the daemon gave an unexpected reply to ListVoices") }
            var rows: [[String]] = [["ID", "LANGUAGE", "ENGINE", "NAME"]]
            for case .struct(let fields) in entries where fields.count == 4 {
                let strings = fields.map { $0.string ?? "" }
                rows.append([strings[0], strings[2], strings[3], strings[1]])
            }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                print((padded + [row[3]]).joined(separator: "  "))
            }
        } catch {
            fail(error)
        }
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
            for key in ["state", "queued", "speaking", "engine"] {
                if let value = status[key] { print("\(key): \(value)") }
            }
        } catch {
            fail(error)
        }
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
