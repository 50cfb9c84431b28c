/// One line of `herald doctor`: what was checked, how it went, and, when it
/// did not pass, what to do about it.
struct DoctorFinding: Sendable, Equatable {
    enum Status: Sendable, Equatable {
        /// Works.
        case pass
        /// Works for now or does not stop speech, but worth a look (advisory).
        case warning
        /// Stops Herald from doing what the setup asks; makes the exit code 1.
        case failure
        /// Not checked, and why (`--offline`, no daemon to ask).
        case skipped
    }

    var status: Status
    /// What was checked, e.g. "audio device".
    var check: String
    /// What was found, e.g. `"default" opens`.
    var detail: String
    /// What to do; shown under warnings and failures.
    var fix: String?

    static func pass(_ check: String, _ detail: String) -> DoctorFinding {
        DoctorFinding(status: .pass, check: check, detail: detail)
    }

    static func warning(_ check: String, _ detail: String, fix: String? = nil) -> DoctorFinding {
        DoctorFinding(status: .warning, check: check, detail: detail, fix: fix)
    }

    static func failure(_ check: String, _ detail: String, fix: String) -> DoctorFinding {
        DoctorFinding(status: .failure, check: check, detail: detail, fix: fix)
    }

    static func skipped(_ check: String, _ detail: String) -> DoctorFinding {
        DoctorFinding(status: .skipped, check: check, detail: detail)
    }
}
