/// Facts about this build of Herald that clients can rely on.
public enum Herald {
    /// The interface version served as the D-Bus `Version` property; bumped when a
    /// binding contract changes.
    public static let interfaceVersion: UInt32 = 2
}
