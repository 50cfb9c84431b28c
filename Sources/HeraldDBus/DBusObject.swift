/// What a method handler is: it runs in its own task, so a slow handler never
/// holds up the dispatch thread. Its return values become the method return;
/// a thrown `DBusError` becomes an error reply with that name and message.
///
/// Swift 6 does not yet infer a closure's thrown type from context, so write
/// handlers as `DBusMethod { call throws(DBusError) in … }`.
public typealias DBusMethodHandler = @Sendable (DBusMethodCall) async throws(DBusError) -> [DBusValue]

/// One method of an exported interface.
public struct DBusMethod: Sendable {
    /// When set, calls with other argument types are answered before the
    /// handler runs: with `refusal`'s error, or `InvalidArgs`. Also what a
    /// contract test compares with the interface XML.
    public let inputSignature: String?
    /// The error for a call with other argument types, for an interface whose
    /// errors all carry its own names; nil: `InvalidArgs`.
    public let refusal: (@Sendable (DBusMethodCall) -> DBusError)?
    /// When set, a handler returning other types is a bug: the caller gets `Failed`
    /// and the mismatch is logged. Also used for generated introspection.
    public let outputSignature: String?
    /// Calls from one sender are normally handled one at a time, in the order
    /// sent (so `Speak` then `Stop` cannot swap). A concurrent method starts at
    /// once instead, for handlers that wait on long work (e.g. Spiel's `Synthesize`).
    public let isConcurrent: Bool
    let handler: DBusMethodHandler

    public init(
        inputSignature: String? = nil,
        outputSignature: String? = nil,
        concurrent: Bool = false,
        refusal: (@Sendable (DBusMethodCall) -> DBusError)? = nil,
        _ handler: @escaping DBusMethodHandler
    ) {
        self.inputSignature = inputSignature
        self.refusal = refusal
        self.outputSignature = outputSignature
        self.isConcurrent = concurrent
        self.handler = handler
    }
}

/// One property served through `org.freedesktop.DBus.Properties`.
public struct DBusProperty: Sendable {
    /// The property's type, e.g. `u`; `Set` with another type gets `InvalidArgs`.
    public let signature: String
    let get: @Sendable () async throws(DBusError) -> DBusValue
    let set: (@Sendable (DBusValue) async throws(DBusError) -> Void)?
    /// True when clients may `Set` it (introspected as `readwrite`).
    public var isWritable: Bool { self.set != nil }

    /// A property; without `set` it is read-only and `Set` gets `PropertyReadOnly`.
    /// A setter should emit `PropertiesChanged` itself when the value changed.
    public init(
        signature: String,
        get: @escaping @Sendable () async throws(DBusError) -> DBusValue,
        set: (@Sendable (DBusValue) async throws(DBusError) -> Void)? = nil
    ) {
        self.signature = signature
        self.get = get
        self.set = set
    }

    /// A read-only property with a fixed value, like `Version`.
    public static func constant(_ value: DBusValue) -> DBusProperty {
        DBusProperty(signature: value.signature, get: { value })
    }
}

/// One interface of an exported object: its methods and properties by name.
public struct DBusInterface: Sendable {
    public let name: String
    public let methods: [String: DBusMethod]
    public let properties: [String: DBusProperty]

    public init(name: String, methods: [String: DBusMethod] = [:], properties: [String: DBusProperty] = [:]) {
        self.name = name
        self.methods = methods
        self.properties = properties
    }
}

/// An object to export on a connection at `path`.
///
/// `Introspectable`, `Properties` and `Peer` are answered by the connection;
/// list only your own interfaces here.
public struct DBusObject: Sendable {
    public let path: String
    public let interfaces: [DBusInterface]
    /// Served verbatim by `Introspect` (the daemon passes its file from `dbus/`,
    /// the documented source of truth); when nil, a minimal description is generated.
    public let introspectionXML: String?

    public init(path: String, interfaces: [DBusInterface], introspectionXML: String? = nil) {
        self.path = path
        self.interfaces = interfaces
        self.introspectionXML = introspectionXML
    }

    func validate() throws(DBusError) {
        try DBusSyntax.check(path: path)
        for interface in interfaces {
            try DBusSyntax.check(interface: interface.name)
            for (name, method) in interface.methods {
                try DBusSyntax.check(member: name)
                if let signature = method.inputSignature { try DBusSyntax.check(signature: signature) }
                if let signature = method.outputSignature { try DBusSyntax.check(signature: signature) }
            }
            for (name, property) in interface.properties {
                try DBusSyntax.check(member: name)
                guard DBusSyntax.isValidSingleType(property.signature) else {
                    throw .invalidArgs("Property \(name) has the invalid type \"\(property.signature)\".")
                }
            }
        }
    }
}
