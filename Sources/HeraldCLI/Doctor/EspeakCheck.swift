internal import HeraldCore
internal import HeraldEspeak
internal import Logging

/// Starts the espeak-ng helper (`herald-espeak`) as the daemon does, which
/// loads libespeak-ng and its data: without them heraldd has no offline voice
/// and does not start.
enum EspeakCheck {
    static func run() async -> DoctorFinding {
        let loaded = await OffPool.run { () -> Result<EspeakEngine, EngineError> in
            Result { () throws(EngineError) in try EspeakEngine(logger: Logger(label: "herald.doctor", factory: { _ in SwiftLogNoOpLogHandler() })) }
        }
        switch loaded {
        case .success(let engine):
            let voices = await engine.voices()
            guard !voices.isEmpty else {
                return .failure(
                    "espeak-ng", "libespeak-ng loaded but lists no voices", fix: "reinstall the espeak-ng-data package")
            }
            let languages = Set(voices.map(\.language)).count
            return .pass("espeak-ng", "\(voices.count) voices in \(languages) languages")
        case .failure(let error) where error.message.hasPrefix("herald-espeak"):
            return .failure("espeak-ng", error.message, fix: "reinstall Herald (packaging/install.sh puts it in PREFIX/libexec/herald)")
        case .failure(let error):
            return .failure("espeak-ng", error.message, fix: "install the espeak-ng-data package (sudo apt install espeak-ng-data)")
        }
    }
}
