/// One D-Bus value with its type, as it travels in a message.
///
/// Containers carry their element signatures explicitly because an empty
/// array still has a type on the wire (`as` and `ax` differ even when empty).
/// Values are checked against their declared signatures before anything is
/// handed to libdbus, whose own checks abort the process.
public indirect enum DBusValue: Sendable {
    case byte(UInt8)
    case bool(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(String)
    case unixFD(DBusUnixFD)
    /// `a<element>`; every item must have the signature `elementSignature`.
    case array(elementSignature: String, [DBusValue])
    /// `a{<key><value>}`; the key must be a basic type. Order is kept as given.
    case dict(keySignature: String, valueSignature: String, [(DBusValue, DBusValue)])
    /// `(…)`; must hold at least one value.
    case `struct`([DBusValue])
    /// `v`: a value carrying its own type.
    case variant(DBusValue)

    /// The D-Bus type signature of this value, e.g. `a{sv}`.
    public var signature: String {
        switch self {
        case .byte: "y"
        case .bool: "b"
        case .int16: "n"
        case .uint16: "q"
        case .int32: "i"
        case .uint32: "u"
        case .int64: "x"
        case .uint64: "t"
        case .double: "d"
        case .string: "s"
        case .objectPath: "o"
        case .signature: "g"
        case .unixFD: "h"
        case .array(let element, _): "a" + element
        case .dict(let key, let value, _): "a{" + key + value + "}"
        case .struct(let fields): "(" + fields.map(\.signature).joined() + ")"
        case .variant: "v"
        }
    }
}

extension DBusValue {
    /// The concatenated signature of a list of values, as in a message's signature header.
    public static func signature(of values: [DBusValue]) -> String {
        values.map(\.signature).joined()
    }

    /// `a{sv}`, the usual options / property map; values are wrapped in variants and keys sorted
    /// so that the same dictionary always produces the same message.
    public static func dictionary(_ entries: [String: DBusValue]) -> DBusValue {
        .dict(
            keySignature: "s",
            valueSignature: "v",
            entries.sorted { $0.key < $1.key }.map { (.string($0.key), .variant($0.value)) }
        )
    }

    /// `as`.
    public static func stringArray(_ strings: [String]) -> DBusValue {
        .array(elementSignature: "s", strings.map { .string($0) })
    }
}

// MARK: - Reading

extension DBusValue {
    /// The value inside any number of variant layers.
    public var unwrapped: DBusValue {
        if case .variant(let inner) = self { return inner.unwrapped }
        return self
    }

    public var byte: UInt8? { if case .byte(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var int16: Int16? { if case .int16(let v) = self { v } else { nil } }
    public var uint16: UInt16? { if case .uint16(let v) = self { v } else { nil } }
    public var int32: Int32? { if case .int32(let v) = self { v } else { nil } }
    public var uint32: UInt32? { if case .uint32(let v) = self { v } else { nil } }
    public var int64: Int64? { if case .int64(let v) = self { v } else { nil } }
    public var uint64: UInt64? { if case .uint64(let v) = self { v } else { nil } }
    public var double: Double? { if case .double(let v) = self { v } else { nil } }
    /// The text of a `s`; object paths and signatures are not strings here.
    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var objectPath: String? { if case .objectPath(let v) = self { v } else { nil } }
    public var unixFD: DBusUnixFD? { if case .unixFD(let v) = self { v } else { nil } }
    /// The items of an array (not of a dict).
    public var array: [DBusValue]? { if case .array(_, let v) = self { v } else { nil } }
    /// The fields of a struct.
    public var structFields: [DBusValue]? { if case .struct(let v) = self { v } else { nil } }
    /// The strings of an `as`.
    public var stringArray: [String]? {
        guard case .array("s", let items) = self else { return nil }
        return items.compactMap(\.string)
    }

    /// A dict with string keys (`a{sv}`, `a{ss}`, …) as a Swift dictionary, with one
    /// variant layer removed from the values: `options["rate"]?.int32`.
    /// A key given twice keeps its last value, as most D-Bus bindings do.
    public var dictionary: [String: DBusValue]? {
        guard case .dict("s", _, let pairs) = self else { return nil }
        var result: [String: DBusValue] = [:]
        for (key, value) in pairs {
            guard let key = key.string else { return nil }
            if case .variant(let inner) = value {
                result[key] = inner
            } else {
                result[key] = value
            }
        }
        return result
    }
}

// MARK: - Equality

extension DBusValue: Equatable {
    /// Structural equality; two `unixFD` values are equal only when they are the same object,
    /// since a descriptor's number says nothing once it has crossed a process boundary.
    public static func == (lhs: DBusValue, rhs: DBusValue) -> Bool {
        switch (lhs, rhs) {
        case (.byte(let a), .byte(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.int16(let a), .int16(let b)): a == b
        case (.uint16(let a), .uint16(let b)): a == b
        case (.int32(let a), .int32(let b)): a == b
        case (.uint32(let a), .uint32(let b)): a == b
        case (.int64(let a), .int64(let b)): a == b
        case (.uint64(let a), .uint64(let b)): a == b
        case (.double(let a), .double(let b)): a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): a == b
        case (.objectPath(let a), .objectPath(let b)): a == b
        case (.signature(let a), .signature(let b)): a == b
        case (.unixFD(let a), .unixFD(let b)): a === b
        case (.array(let ea, let a), .array(let eb, let b)): ea == eb && a == b
        case (.dict(let ka, let va, let a), .dict(let kb, let vb, let b)):
            ka == kb && va == vb && a.count == b.count
                && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.struct(let a), .struct(let b)): a == b
        case (.variant(let a), .variant(let b)): a == b
        default: false
        }
    }
}

extension DBusValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .byte(let v): "byte \(v)"
        case .bool(let v): "\(v)"
        case .int16(let v): "int16 \(v)"
        case .uint16(let v): "uint16 \(v)"
        case .int32(let v): "int32 \(v)"
        case .uint32(let v): "uint32 \(v)"
        case .int64(let v): "int64 \(v)"
        case .uint64(let v): "uint64 \(v)"
        case .double(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        case .objectPath(let v): "objpath \(v)"
        case .signature(let v): "signature \(v)"
        case .unixFD(let v): "\(v)"
        case .array(_, let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dict(_, _, let pairs):
            "{" + pairs.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .struct(let fields): "(" + fields.map(\.description).joined(separator: ", ") + ")"
        case .variant(let inner): "<\(inner)>"
        }
    }
}
