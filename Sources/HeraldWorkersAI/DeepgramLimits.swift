/// Deepgram's limits on one streaming connection (docs/workers-ai.md): a
/// `Flush` beyond `flushes` in `window` is ignored with a warning, and `Speak`
/// text beyond `characters` in `window` drops the connection. Herald keeps
/// them itself, so it never spends a request on audio that will not come.
/// Tests shorten the window to show the limits within seconds.
public struct DeepgramLimits: Sendable, Equatable {
    public var window: Duration
    public var flushes: Int
    public var characters: Int

    public init(window: Duration = .seconds(60), flushes: Int = 20, characters: Int = 2_400) {
        self.window = window
        self.flushes = flushes
        self.characters = characters
    }

    /// The service's: 20 flushes and 2,400 characters a minute per connection.
    public static let service = DeepgramLimits()
}
