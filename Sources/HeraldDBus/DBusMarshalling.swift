internal import CDBus

/// Writing `DBusValue`s into a message body and reading them back, through
/// `DBusMessageIter` (the variadic `dbus_message_append_args` cannot be called from Swift).
enum DBusMarshalling {
    // MARK: Writing

    static func append(_ values: [DBusValue], to message: OpaquePointer) throws(DBusError) {
        for (index, value) in values.enumerated() {
            try validateTopLevel(value, context: "argument \(index + 1)")
        }
        var iterator = DBusMessageIter()
        dbus_message_iter_init_append(message, &iterator)
        for value in values {
            try write(value, into: &iterator)
        }
    }

    /// Checks one complete value so that libdbus never sees a mismatch (it would abort).
    private static func validateTopLevel(_ value: DBusValue, context: String) throws(DBusError) {
        let signature = value.signature
        // Covers the limits on length (255) and nesting depth (32 arrays, 32 structs).
        guard DBusSyntax.isValidSingleType(signature) else {
            throw .invalidArgs("\(context): \"\(signature)\" is not a valid D-Bus type (too deep, too long, or malformed).")
        }
        try validate(value, context: context)
    }

    private static func validate(_ value: DBusValue, context: String) throws(DBusError) {
        switch value {
        case .byte, .bool, .int16, .uint16, .int32, .uint32, .int64, .uint64, .double:
            break
        case .string(let text):
            if text.utf8.contains(0) {
                throw .invalidArgs("\(context): D-Bus strings cannot contain NUL characters.")
            }
        case .objectPath(let path):
            guard DBusSyntax.isValidPath(path) else {
                throw .invalidArgs("\(context): \"\(path)\" is not a valid object path.")
            }
        case .signature(let signature):
            guard DBusSyntax.isValidSignature(signature) else {
                throw .invalidArgs("\(context): \"\(signature)\" is not a valid signature.")
            }
        case .unixFD(let fd):
            guard let raw = fd.rawValue, raw >= 0 else {
                throw .invalidArgs("\(context): the file descriptor was already taken or closed.")
            }
        case .array(let element, let items):
            guard DBusSyntax.isValidSingleType(element) else {
                throw .invalidArgs("\(context): \"\(element)\" is not a single complete type for an array.")
            }
            if element.hasPrefix("{") {
                throw .invalidArgs("\(context): use .dict for arrays of dict entries.")
            }
            for (index, item) in items.enumerated() {
                guard item.signature == element else {
                    throw .invalidArgs("\(context): item \(index) is \(item.signature), but the array holds \(element).")
                }
                try validate(item, context: context)
            }
        case .dict(let key, let valueType, let pairs):
            guard DBusSyntax.isBasicType(key) else {
                throw .invalidArgs("\(context): dict keys must be a basic type, not \(key).")
            }
            guard DBusSyntax.isValidSingleType(valueType) else {
                throw .invalidArgs("\(context): \"\(valueType)\" is not a single complete type for dict values.")
            }
            for (keyValue, item) in pairs {
                guard keyValue.signature == key, item.signature == valueType else {
                    throw .invalidArgs(
                        "\(context): an entry is {\(keyValue.signature)\(item.signature)}, but the dict holds {\(key)\(valueType)}."
                    )
                }
                try validate(keyValue, context: context)
                try validate(item, context: context)
            }
        case .struct(let fields):
            guard !fields.isEmpty else {
                throw .invalidArgs("\(context): D-Bus structs need at least one field.")
            }
            for field in fields {
                try validate(field, context: context)
            }
        case .variant(let inner):
            // A variant starts a new signature, with its own length and depth limits.
            try validateTopLevel(inner, context: context)
        }
    }

    private static func write(_ value: DBusValue, into iterator: inout DBusMessageIter) throws(DBusError) {
        var ok: dbus_bool_t = 1
        switch value {
        case .byte(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_BYTE, &v)
        case .bool(let b):
            var v: dbus_bool_t = b ? 1 : 0
            ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_BOOLEAN, &v)
        case .int16(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_INT16, &v)
        case .uint16(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_UINT16, &v)
        case .int32(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_INT32, &v)
        case .uint32(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_UINT32, &v)
        case .int64(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_INT64, &v)
        case .uint64(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_UINT64, &v)
        case .double(var v): ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_DOUBLE, &v)
        case .string(let text): ok = appendString(text, type: CDBUS_TYPE_STRING, &iterator)
        case .objectPath(let text): ok = appendString(text, type: CDBUS_TYPE_OBJECT_PATH, &iterator)
        case .signature(let text): ok = appendString(text, type: CDBUS_TYPE_SIGNATURE, &iterator)
        case .unixFD(let fd):
            // libdbus duplicates the descriptor into the message; the caller keeps its own.
            var raw = fd.rawValue ?? -1
            ok = dbus_message_iter_append_basic(&iterator, CDBUS_TYPE_UNIX_FD, &raw)
            if ok == 0 {
                throw .failed("Could not attach a file descriptor to the message (out of descriptors?).")
            }
        case .array(let element, let items):
            try withContainer(CDBUS_TYPE_ARRAY, signature: element, in: &iterator) { sub throws(DBusError) in
                for item in items { try write(item, into: &sub) }
            }
        case .dict(let key, let valueType, let pairs):
            try withContainer(CDBUS_TYPE_ARRAY, signature: "{\(key)\(valueType)}", in: &iterator) { sub throws(DBusError) in
                for (keyValue, item) in pairs {
                    try withContainer(CDBUS_TYPE_DICT_ENTRY, signature: nil, in: &sub) { entry throws(DBusError) in
                        try write(keyValue, into: &entry)
                        try write(item, into: &entry)
                    }
                }
            }
        case .struct(let fields):
            try withContainer(CDBUS_TYPE_STRUCT, signature: nil, in: &iterator) { sub throws(DBusError) in
                for field in fields { try write(field, into: &sub) }
            }
        case .variant(let inner):
            try withContainer(CDBUS_TYPE_VARIANT, signature: inner.signature, in: &iterator) { sub throws(DBusError) in
                try write(inner, into: &sub)
            }
        }
        if ok == 0 { throw .noMemory }
    }

    private static func appendString(_ text: String, type: Int32, _ iterator: inout DBusMessageIter) -> dbus_bool_t {
        text.withCString { pointer in
            var string: UnsafePointer<CChar>? = pointer
            return dbus_message_iter_append_basic(&iterator, type, &string)
        }
    }

    /// Opens a container, fills it, and closes it; on failure the container is
    /// abandoned so that the message can be released without tripping libdbus.
    private static func withContainer(
        _ type: Int32,
        signature: String?,
        in iterator: inout DBusMessageIter,
        _ body: (inout DBusMessageIter) throws(DBusError) -> Void
    ) throws(DBusError) {
        var sub = DBusMessageIter()
        let opened: dbus_bool_t
        if let signature {
            opened = signature.withCString { dbus_message_iter_open_container(&iterator, type, $0, &sub) }
        } else {
            opened = dbus_message_iter_open_container(&iterator, type, nil, &sub)
        }
        guard opened != 0 else { throw .noMemory }
        do {
            try body(&sub)
        } catch {
            dbus_message_iter_abandon_container(&iterator, &sub)
            throw error
        }
        guard dbus_message_iter_close_container(&iterator, &sub) != 0 else { throw .noMemory }
    }

    // MARK: Reading

    static func read(_ message: OpaquePointer) throws(DBusError) -> [DBusValue] {
        var iterator = DBusMessageIter()
        guard dbus_message_iter_init(message, &iterator) != 0 else { return [] }
        return try readAll(&iterator)
    }

    private static func readAll(_ iterator: inout DBusMessageIter) throws(DBusError) -> [DBusValue] {
        var values: [DBusValue] = []
        while dbus_message_iter_get_arg_type(&iterator) != CDBUS_TYPE_INVALID {
            values.append(try readOne(&iterator))
            dbus_message_iter_next(&iterator)
        }
        return values
    }

    private static func readOne(_ iterator: inout DBusMessageIter) throws(DBusError) -> DBusValue {
        let type = dbus_message_iter_get_arg_type(&iterator)
        switch type {
        case CDBUS_TYPE_BYTE: return .byte(basic(&iterator).byt)
        case CDBUS_TYPE_BOOLEAN: return .bool(basic(&iterator).bool_val != 0)
        case CDBUS_TYPE_INT16: return .int16(basic(&iterator).i16)
        case CDBUS_TYPE_UINT16: return .uint16(basic(&iterator).u16)
        case CDBUS_TYPE_INT32: return .int32(basic(&iterator).i32)
        case CDBUS_TYPE_UINT32: return .uint32(basic(&iterator).u32)
        case CDBUS_TYPE_INT64: return .int64(Int64(basic(&iterator).i64))
        case CDBUS_TYPE_UINT64: return .uint64(UInt64(basic(&iterator).u64))
        case CDBUS_TYPE_DOUBLE: return .double(basic(&iterator).dbl)
        case CDBUS_TYPE_STRING: return .string(try string(&iterator))
        case CDBUS_TYPE_OBJECT_PATH: return .objectPath(try string(&iterator))
        case CDBUS_TYPE_SIGNATURE: return .signature(try string(&iterator))
        case CDBUS_TYPE_UNIX_FD:
            // dbus_message_iter_get_basic returns a dup() made for us (or -1), which we now own.
            let fd = basic(&iterator).fd
            guard fd >= 0 else {
                throw .invalidArgs("A file descriptor in the message could not be received (none attached, or out of descriptors).")
            }
            return .unixFD(DBusUnixFD(takingOwnershipOf: fd))
        case CDBUS_TYPE_ARRAY:
            let fullSignature = currentSignature(&iterator)
            let element = String(fullSignature.dropFirst())
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iterator, &sub)
            if dbus_message_iter_get_element_type(&iterator) == CDBUS_TYPE_DICT_ENTRY {
                let inner = element.dropFirst().dropLast()  // "{sv}" → "sv"
                guard let keyType = inner.first else {
                    throw .invalidArgs("Malformed dict signature \(fullSignature).")
                }
                var pairs: [(DBusValue, DBusValue)] = []
                while dbus_message_iter_get_arg_type(&sub) == CDBUS_TYPE_DICT_ENTRY {
                    var entry = DBusMessageIter()
                    dbus_message_iter_recurse(&sub, &entry)
                    let key = try readOne(&entry)
                    guard dbus_message_iter_next(&entry) != 0 else {
                        throw .invalidArgs("A dict entry in the message has no value.")
                    }
                    let value = try readOne(&entry)
                    pairs.append((key, value))
                    dbus_message_iter_next(&sub)
                }
                return .dict(keySignature: String(keyType), valueSignature: String(inner.dropFirst()), pairs)
            }
            return .array(elementSignature: element, try readAll(&sub))
        case CDBUS_TYPE_STRUCT:
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iterator, &sub)
            return .struct(try readAll(&sub))
        case CDBUS_TYPE_VARIANT:
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iterator, &sub)
            guard dbus_message_iter_get_arg_type(&sub) != CDBUS_TYPE_INVALID else {
                throw .invalidArgs("An empty variant in the message.")
            }
            return .variant(try readOne(&sub))
        default:
            throw .invalidArgs("The message holds a value of unknown D-Bus type code \(type).")
        }
    }

    private static func basic(_ iterator: inout DBusMessageIter) -> DBusBasicValue {
        var value = DBusBasicValue()
        dbus_message_iter_get_basic(&iterator, &value)
        return value
    }

    private static func string(_ iterator: inout DBusMessageIter) throws(DBusError) -> String {
        guard let pointer = basic(&iterator).str else {
            throw .invalidArgs("A string in the message could not be read.")
        }
        return String(cString: pointer)
    }

    private static func currentSignature(_ iterator: inout DBusMessageIter) -> String {
        guard let signature = dbus_message_iter_get_signature(&iterator) else { return "" }
        defer { dbus_free(signature) }
        return String(cString: signature)
    }
}
