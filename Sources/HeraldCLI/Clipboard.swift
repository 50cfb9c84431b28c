internal import FoundationEssentials
internal import Glibc

/// The text on the desktop's clipboard or primary selection, read with the
/// tool the session has: `wl-paste` on Wayland, else `xclip` or `xsel` on X11.
///
/// The selection's offered types are checked first, so an image is refused
/// by name instead of being read as bytes, and a selection of megabytes is
/// refused rather than queued for hours of speech.
struct Clipboard {
    enum Selection {
        case clipboard, primary

        var noun: String { self == .clipboard ? "clipboard" : "primary selection" }
    }

    /// The most text read from a selection: about a hundred pages. More is
    /// almost always a mistaken copy; a file can be read with `speak --file`.
    static let maxBytes = 1 << 20
    static let timeout: Duration = .seconds(5)

    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The kind of graphical session, from the environment.
    enum Session: Equatable {
        case wayland, x11, none

        var name: String {
            switch self {
            case .wayland: "Wayland"
            case .x11: "X11"
            case .none: "no graphical session"
            }
        }
    }

    /// Wayland when `WAYLAND_DISPLAY` is set (an X11 tool still serves XWayland), else X11 when `DISPLAY` is.
    var session: Session {
        if !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty { return .wayland }
        if !(environment["DISPLAY"] ?? "").isEmpty { return .x11 }
        return .none
    }

    /// The tool this session's selections are read with: `wl-paste` on
    /// Wayland, else `xclip` or `xsel` where there is an X display. Throws
    /// what to install, or that there is no graphical session. `herald
    /// doctor` asks the same question.
    func tool() throws(CLIError) -> HelperTool {
        let wayland = session == .wayland
        let x11 = !(environment["DISPLAY"] ?? "").isEmpty
        if wayland, let tool = HelperTool.find("wl-paste", environment: environment) { return tool }
        if x11 {
            if let tool = HelperTool.find("xclip", environment: environment) { return tool }
            if let tool = HelperTool.find("xsel", environment: environment) { return tool }
        }
        if wayland { throw CLIError("no clipboard tool: install wl-clipboard (it provides wl-paste)") }
        if x11 { throw CLIError("no clipboard tool: install xclip (or xsel)") }
        throw CLIError(
            "no graphical session here (neither WAYLAND_DISPLAY nor DISPLAY is set); run herald clipboard in your desktop session")
    }

    /// The selection's text, or an error saying what to do.
    func read(_ selection: Selection) throws(CLIError) -> String {
        let tool = try tool()
        switch tool.name {
        case "wl-paste": return try readWayland(selection, with: tool)
        case "xclip": return try readXclip(selection, with: tool)
        default: return try readXsel(selection, with: tool)
        }
    }

    // MARK: Wayland

    private func readWayland(_ selection: Selection, with tool: HelperTool) throws(CLIError) -> String {
        let primary = selection == .primary ? ["--primary"] : []
        let listing = try tool.run(primary + ["--list-types"], limit: 64 << 10, timeout: Self.timeout)
        let types = String(decoding: listing.output, as: UTF8.self).split(separator: "\n").map(String.init)
        guard listing.status == 0, !types.isEmpty else { throw empty(selection) }
        guard let type = Self.textType(among: types) else { throw notText(selection, types) }
        let run = try tool.run(primary + ["--no-newline", "--type", type], limit: Self.maxBytes, timeout: Self.timeout)
        return try text(of: run, selection, tool: tool, latin1: type == "STRING")
    }

    // MARK: X11

    private func readXclip(_ selection: Selection, with tool: HelperTool) throws(CLIError) -> String {
        let which = ["-selection", selection == .primary ? "primary" : "clipboard"]
        let listing = try tool.run(["-o"] + which + ["-t", "TARGETS"], limit: 64 << 10, timeout: Self.timeout)
        let targets = String(decoding: listing.output, as: UTF8.self).split(separator: "\n").map(String.init)
        // No owner: xclip says "target TARGETS not available" and exits 1.
        guard listing.status == 0, !targets.isEmpty else { throw empty(selection) }
        guard let target = Self.textType(among: targets) else { throw notText(selection, targets) }
        let run = try tool.run(["-o"] + which + ["-t", target], limit: Self.maxBytes, timeout: Self.timeout)
        return try text(of: run, selection, tool: tool, latin1: target == "STRING")
    }

    /// xsel cannot list targets; what it prints is checked for binary data instead.
    private func readXsel(_ selection: Selection, with tool: HelperTool) throws(CLIError) -> String {
        let run = try tool.run(["--output", selection == .primary ? "--primary" : "--clipboard"], limit: Self.maxBytes, timeout: Self.timeout)
        return try text(of: run, selection, tool: tool, latin1: false)
    }

    // MARK: Checks

    /// The best text type on offer: UTF-8 first, Latin-1 `STRING` last.
    static func textType(among types: [String]) -> String? {
        let preferred = ["text/plain;charset=utf-8", "UTF8_STRING", "text/plain", "TEXT", "STRING"]
        return preferred.first { types.contains($0) }
            ?? types.first { $0.hasPrefix("text/plain") }
    }

    private func text(of run: HelperTool.Run, _ selection: Selection, tool: HelperTool, latin1: Bool) throws(CLIError) -> String {
        if run.truncated {
            throw CLIError(
                "the \(selection.noun) holds more than \(Self.maxBytes >> 20) MiB of text; save it to a file and use herald speak --file")
        }
        guard run.status == 0 else {
            if run.output.isEmpty { throw empty(selection) }
            let reason = run.errorOutput.split(separator: "\n").first.map(String.init) ?? "exit \(run.status.map(String.init) ?? "by signal")"
            throw CLIError("\(tool.name) could not read the \(selection.noun): \(reason)")
        }
        guard !run.output.contains(0) else {
            throw CLIError("the \(selection.noun) holds binary data, not text; copy some text first")
        }
        let text = latin1
            ? String(data: run.output, encoding: .isoLatin1)
            : (String(data: run.output, encoding: .utf8) ?? String(data: run.output, encoding: .isoLatin1))
        guard let text, text.contains(where: { !$0.isWhitespace }) else { throw empty(selection) }
        return text
    }

    private func empty(_ selection: Selection) -> CLIError {
        CLIError("the \(selection.noun) is empty; \(selection == .primary ? "select" : "copy") some text first")
    }

    private func notText(_ selection: Selection, _ types: [String]) -> CLIError {
        let offered = types.filter { $0.contains(Character("/")) }
        if let image = offered.first(where: { $0.hasPrefix("image/") }) {
            return CLIError("the \(selection.noun) holds an image (\(image)), not text; copy some text first")
        }
        let shown = offered.isEmpty ? types : offered
        return CLIError("the \(selection.noun) holds no text (it offers \(shown.prefix(4).joined(separator: ", "))); copy some text first")
    }
}
