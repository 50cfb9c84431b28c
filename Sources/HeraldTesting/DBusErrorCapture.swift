public import HeraldDBus
public import Testing

/// Runs `body` and returns the `DBusError` it threw, or nil when it
/// succeeded; any other error is a test failure. For tests of error replies,
/// which then check the error's name and message.
public func dbusError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> DBusError? {
    do {
        _ = try await body()
        return nil
    } catch let error as DBusError {
        return error
    } catch {
        Issue.record("expected a DBusError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
