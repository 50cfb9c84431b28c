internal import ArgumentParser
internal import FoundationEssentials
internal import Glibc
internal import HeraldDBus

/// `herald clipboard`: speak the selection; with `--toggle`, what a
/// keybinding runs (`speak-clipboard`): a second press stops the reading.
struct ClipboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipboard",
        abstract: "Speak the text on the clipboard (or the primary selection).",
        discussion: """
            Reads the clipboard with wl-paste on Wayland, else xclip or xsel on X11. \
            With --toggle, stops instead when Herald is still speaking what this command started; \
            speak-clipboard runs exactly that, for a keybinding. Examples:

              herald clipboard
              herald clipboard --primary --toggle
            """)

    @Flag(name: .long, help: "Read the primary selection (the text last selected) instead of the clipboard.")
    var primary = false

    @Flag(name: .long, help: "Stop instead when Herald is speaking what herald clipboard started.")
    var toggle = false

    func run() async throws {
        do throws(CLIError) {
            if toggle, try await stopOwnReading() { return }
            let text = try Clipboard().read(primary ? .primary : .clipboard)
            let client = try await DaemonClient.connect()
            let id = try await client.speak(text, priority: "text", options: [:])
            await client.remember(id, as: .clipboard, .reading)
        } catch {
            fail(error)
        }
    }

    /// Stops the message this command last started if the daemon is speaking
    /// it; false when there is nothing of ours to stop.
    private func stopOwnReading() async throws(CLIError) -> Bool {
        guard let remembered = MessageMemory.load(.clipboard) else { return false }
        let client = try await DaemonClient.connect(start: false)
        guard let daemon = await client.daemonOwner(), daemon == remembered.daemon else { return false }
        let status = try await client.status()
        guard status["speaking"]?.uint64 == remembered.id else { return false }
        _ = try await client.call("Stop", [.string(String(remembered.id))])
        MessageMemory.forget(.clipboard)
        return true
    }
}
