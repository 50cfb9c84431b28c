/// Whether `herald clipboard` (and the `speak-clipboard` key) can read the
/// selection in this session: the same detection it uses.
enum ClipboardCheck {
    static func run(environment: [String: String]) -> DoctorFinding {
        let clipboard = Clipboard(environment: environment)
        let session = clipboard.session
        do {
            let tool = try clipboard.tool()
            return .pass("clipboard", "\(tool.path) for this \(session.name) session")
        } catch {
            if session == .none {
                return .warning(
                    "clipboard", "\(session.name) here (neither WAYLAND_DISPLAY nor DISPLAY is set)",
                    fix: "run herald doctor in your desktop session to check the clipboard tool")
            }
            return .failure("clipboard", "\(session.name) session without a clipboard tool", fix: error.description.replacing("no clipboard tool: ", with: ""))
        }
    }
}
