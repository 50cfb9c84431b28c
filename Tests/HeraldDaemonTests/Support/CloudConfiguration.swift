import HeraldConfig
import HeraldDaemon
import HeraldTesting

extension Configuration {
    /// A configuration speaking through the fake Workers AI with `engines`, into `device`.
    static func cloud(_ fake: FakeWorkersAI, engines: [Configuration.Engine], device: String) -> Configuration {
        var configuration = Configuration()
        configuration.audioDevice = device
        configuration.cloudflare.accountID = fake.accountID
        configuration.cloudflare.apiToken = fake.token
        configuration.cloudflare.baseURL = fake.baseURL
        configuration.engines = engines
        return configuration
    }
}
