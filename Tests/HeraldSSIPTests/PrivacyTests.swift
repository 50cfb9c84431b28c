import Foundation
import HeraldCore
import HeraldSSIP
import HeraldTesting
import Testing

/// What one client spoke stays its own: no SSIP command gives another
/// client (or the same one) a history of messages, their text or their
/// settings, unlike Speech Dispatcher's HISTORY commands (its issue 335).
@Suite struct PrivacyTests {
    static let secret = "My PIN is 4921"

    /// Speech Dispatcher's history commands (ssip.info "History Commands"), every one of them.
    static let historyCommands = [
        "HISTORY GET CLIENT_LIST", "HISTORY GET MESSAGE_LIST 1 0 10", "HISTORY GET MESSAGE_LIST all 0 10",
        "HISTORY GET LAST", "HISTORY GET MESSAGE 1", "HISTORY CURSOR GET", "HISTORY CURSOR SET all first",
        "HISTORY CURSOR FORWARD", "HISTORY CURSOR BACKWARD", "HISTORY SAY 1", "HISTORY SORT asc id",
        "HISTORY SET SHORT_MESSAGE_LENGTH 10", "HISTORY SET MESSAGE_TYPE_ORDERING all", "HISTORY SEARCH all PIN",
    ]

    @Test func historyCommandsAreRefusedAndNoReplyQuotesAnotherClientsText() async throws {
        try await SSIPTestServer.with { server in
            let speaker = try server.connect()
            #expect(try await speaker.command("SET self CLIENT_NAME user:speaker:main") == ["208 OK CLIENT NAME SET"])
            _ = try await speaker.speak(Self.secret)
            let other = try server.connect()
            for client in [other, speaker] {
                for command in Self.historyCommands {
                    let reply = try await client.command(command)
                    #expect(reply.count == 1, "\(command): \(reply)")
                    #expect(reply.last?.hasPrefix("5") == true, "\(command): \(reply)")
                    #expect(!reply.joined().contains("4921"), "\(command): \(reply)")
                }
                // Only the asker's own number is answered.
                #expect(try await client.command("HISTORY GET CLIENT_ID").last == "245 OK CLIENT ID SENT")
            }
            // Nor do the other settings reads give anything of another client away.
            for command in ["GET CLIENT_NAME", "LIST OUTPUT_MODULES", "HELP"] {
                #expect(!(try await other.command(command)).joined().contains("speaker"), "\(command)")
            }
        }
    }
}
