import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldWorkersAI

/// The fake refuses what the reference does not allow, so the engine tests
/// above prove conformance to the contract rather than to the fake's leniency.
struct FakeServerContractTests {
    static let logger = Logger(label: "test.workersai.fake")

    @Test(arguments: [
        (WorkersAIModel.aura2English, #"{"speaker":"luna"}"#, 3003),
        (.aura2English, #"{"text":""}"#, 3003),
        (.aura2English, #"{"text":"hi","voice":"luna"}"#, 5004),
        (.aura2English, #"{"text":"hi","speaker":"aquila"}"#, 5004),
        (.aura2Spanish, #"{"text":"hola","speaker":"luna"}"#, 5004),
        (.aura1, #"{"text":"hi","encoding":"wav"}"#, 5004),
        (.aura1, #"{"text":"hi","sample_rate":"24000"}"#, 5004),
        (.meloTTS, #"{"text":"hi"}"#, 3003),
        (.meloTTS, #"{"prompt":"hi","lang":"de"}"#, 5004),
        (.meloTTS, #"["hi"]"#, 5004),
        (.aura2, #"{"text":"hi"}"#, 5007),
    ])
    func badBodiesAreRefusedWithTheEnvelope(model: WorkersAIModel, body: String, code: Int) async throws {
        let fake = try await FakeWorkersAI.start()
        let connection = WorkersAIConnection(
            credentials: WorkersAICredentials(accountID: fake.accountID, token: fake.token), baseURL: fake.baseURL)
        var refusal: EngineError?
        do {
            _ = try await connection.post(Array(body.utf8), model: model, engine: model.name, text: "", logger: Self.logger)
        } catch {
            refusal = error
        }
        await fake.stop()
        #expect(refusal?.code == .rejected)
        #expect(refusal?.message.contains("code \(code)") == true, "\(String(describing: refusal))")
    }
}
