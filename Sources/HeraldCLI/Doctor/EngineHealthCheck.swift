internal import HeraldDBus
internal import HeraldConfig

/// Each engine as the running daemon sees it (`GetStatus`'s `engines`): ready,
/// resting after a failure, or set aside until a restart, with its last error.
enum EngineHealthCheck {
    static func run(status: [String: DBusValue]?, configuration: Configuration) -> [DoctorFinding] {
        guard let status else { return [.skipped("engines", "not checked: the daemon is not running")] }
        guard let entries = status["engines"]?.array else {
            return [
                .warning(
                    "engines", "the running daemon does not report its engines' health",
                    fix: "restart it so the installed version runs: systemctl --user restart herald")
            ]
        }
        var findings: [DoctorFinding] = []
        var names: Set<String> = []
        for case .struct(let fields) in entries where fields.count == 4 {
            guard let name = fields[0].string, let state = fields[1].string, let seconds = fields[2].uint32,
                let lastError = fields[3].string
            else { continue }
            names.insert(name)
            findings.append(finding(engine: name, state: state, seconds: seconds, lastError: lastError))
        }
        // Cloud engines the config asks for but the daemon runs without: it had no usable credentials when it started.
        let missing = configuration.engines.map(\.model).filter { !names.contains($0) }
        if !missing.isEmpty {
            findings.append(
                .warning(
                    "engines", "the daemon runs without \(missing.joined(separator: ", ")) (no usable credentials when it started, or another config)",
                    fix: "fix what the credentials line says, then reload the daemon: herald reload"))
        }
        return findings
    }

    private static func finding(engine: String, state: String, seconds: UInt32, lastError: String) -> DoctorFinding {
        let check = "engine \(engine)"
        let because = lastError.isEmpty ? "" : ": \(lastError)"
        switch state {
        case "ready" where lastError.isEmpty:
            return .pass(check, "ready")
        case "ready":
            return .warning(check, "ready again; its last failure\(because)", fix: "nothing to do if it does not come back")
        case "resting":
            return .warning(
                check, "resting for \(seconds) s after a failure\(because)",
                fix: "the next engine speaks meanwhile; if it keeps failing, fix the cause named here")
        case "disabled":
            return .failure(
                check, "set aside until the daemon reloads or restarts\(because)",
                fix: "fix the cause named here, then reload the daemon: herald reload")
        default:
            return .warning(check, "state \(state)\(because)", fix: "update herald to match the daemon")
        }
    }
}
