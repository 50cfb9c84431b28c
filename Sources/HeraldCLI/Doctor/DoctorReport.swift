internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
#endif

/// Prints findings as they come, one line each with its mark (✓ ! ✗ –) and
/// the fix indented below; colours only on a terminal that wants them
/// (`NO_COLOR` unset, `TERM` not `dumb`), so piped output stays plain.
struct DoctorReport {
    let colours: Bool
    private(set) var findings: [DoctorFinding] = []

    init(colours: Bool) {
        self.colours = colours
    }

    /// Whether standard output is a terminal that takes ANSI colours.
    static func terminalWantsColours(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    mutating func add(_ finding: DoctorFinding) {
        findings.append(finding)
        // Unbuffered: each line shows as soon as its check is done, even through a pipe.
        FileHandleOutput.standardOutput(Self.lines(for: finding, colours: colours))
    }

    /// The finding as printed: `✓ check: detail`, then `  → fix` for warnings and failures.
    static func lines(for finding: DoctorFinding, colours: Bool) -> String {
        let (mark, colour) =
            switch finding.status {
            case .pass: ("✓", "32")
            case .warning: ("!", "33")
            case .failure: ("✗", "31")
            case .skipped: ("–", "2")
            }
        let shown = colours ? "\u{1B}[\(colour)m\(mark)\u{1B}[0m" : mark
        var text = "\(shown) \(finding.check): \(finding.detail)\n"
        if let fix = finding.fix, finding.status == .warning || finding.status == .failure {
            text += "  → \(fix)\n"
        }
        return text
    }

    var failures: Int { findings.filter { $0.status == .failure }.count }
    var warnings: Int { findings.filter { $0.status == .warning }.count }

    /// The closing line: whether everything needed passed.
    var summary: String {
        let advice = warnings == 0 ? "" : " (\(warnings) \(warnings == 1 ? "note" : "notes") marked !)"
        if failures == 0 { return "Everything Herald needs is in place\(advice)." }
        return "\(failures) \(failures == 1 ? "problem" : "problems") to fix (marked ✗)\(advice)."
    }
}
