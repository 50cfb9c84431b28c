import HeraldConfig
import HeraldCore
import HeraldTesting
import Testing

@testable import HeraldDaemon

/// `org.herald.Speech1` as heraldd serves it is the interface in
/// `dbus/org.herald.Speech1.xml`: the same methods with the same argument
/// types, the same signals with the same arguments, the same properties. The
/// XML is what clients read (Introspect serves it verbatim), so a method added,
/// renamed or retyped on one side only fails here.
@Suite(.serialized)
struct InterfaceContractTests {
    @Test func speech1ServesExactlyItsInterfaceXML() async throws {
        var configuration = Configuration()
        configuration.audioDevice = "null"
        let pipeline = try await SpeechPipeline(configuration: configuration, logger: .init(label: "test.contract"))
        let reloader = Reloader(path: nil, configuration: configuration, pipeline: pipeline, logger: .init(label: "test.contract"))
        let object = Speech1Service.object(pipeline: pipeline, reloader: reloader, departed: DepartedClients())
        // The tables are built; the pipeline (espeak-ng's helper, the device) is needed no longer.
        await pipeline.shutDown()

        // Every event the scheduler reports, as the service signals it.
        let events: [SpeechEventKind] = [
            .began, .ended, .canceled, .paused, .resumed, .indexMark("m"), .failed(reason: "r"),
            .word(TextRange(start: 0, end: 1)), .sentence(TextRange(start: 0, end: 1)),
        ]
        var signals: [String: String] = [:]
        for kind in events {
            let (name, arguments) = Speech1Service.signal(for: SpeechEvent(id: 1, client: ClientID("test"), kind: kind))
            signals[name] = arguments.map(\.signature).joined()
        }
        let served = try InterfaceContract(exported: object, interface: Speech1Service.interface, signals: signals)
        let documented = try InterfaceContract(dbusFile: Speech1Service.interface)
        #expect(served == documented, "served:\n\(served)\n\ndbus/org.herald.Speech1.xml:\n\(documented)")
        #expect(documented.methods.count == 12 && documented.signals.count == 9, "the XML was read: \(documented)")
    }
}
