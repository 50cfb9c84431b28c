internal import CDBus

/// Validation of names and signatures before they reach libdbus.
///
/// libdbus checks its arguments too, but a failed check there prints a
/// warning and aborts the process by default; a daemon must instead answer a
/// bad request with an error reply and keep serving.
enum DBusSyntax {
    static func isValidPath(_ path: String) -> Bool {
        !path.utf8.contains(0) && dbus_validate_path(path, nil) != 0
    }

    static func isValidInterface(_ name: String) -> Bool {
        !name.utf8.contains(0) && dbus_validate_interface(name, nil) != 0
    }

    static func isValidMember(_ name: String) -> Bool {
        !name.utf8.contains(0) && dbus_validate_member(name, nil) != 0
    }

    static func isValidErrorName(_ name: String) -> Bool {
        !name.utf8.contains(0) && dbus_validate_error_name(name, nil) != 0
    }

    static func isValidBusName(_ name: String) -> Bool {
        !name.utf8.contains(0) && dbus_validate_bus_name(name, nil) != 0
    }

    /// Zero or more complete types, e.g. a method's argument list `sa{sv}`.
    static func isValidSignature(_ signature: String) -> Bool {
        !signature.utf8.contains(0) && dbus_signature_validate(signature, nil) != 0
    }

    /// Exactly one complete type, e.g. an array's element `(ss)`.
    static func isValidSingleType(_ signature: String) -> Bool {
        !signature.utf8.contains(0) && dbus_signature_validate_single(signature, nil) != 0
    }

    /// The type codes a dict key may have.
    static func isBasicType(_ signature: String) -> Bool {
        signature.utf8.count == 1 && "ybnqiuxtdsogh".contains(signature.first!)
    }

    /// Splits a valid signature into its complete types: `sa{sv}i` → `s`, `a{sv}`, `i`.
    static func completeTypes(of signature: String) -> [String] {
        guard !signature.isEmpty, isValidSignature(signature) else { return [] }
        // The iterator keeps the pointer, so the C string must outlive the whole walk.
        return signature.withCString { text in
            var types: [String] = []
            var iterator = DBusSignatureIter()
            dbus_signature_iter_init(&iterator, text)
            repeat {
                if let single = dbus_signature_iter_get_signature(&iterator) {
                    types.append(String(cString: single))
                    dbus_free(single)
                }
            } while dbus_signature_iter_next(&iterator) != 0
            return types
        }
    }

    static func check(path: String) throws(DBusError) {
        guard isValidPath(path) else {
            throw .invalidArgs("\"\(path)\" is not a valid D-Bus object path (like /org/herald/Speech1).")
        }
    }

    static func check(interface: String) throws(DBusError) {
        guard isValidInterface(interface) else {
            throw .invalidArgs("\"\(interface)\" is not a valid D-Bus interface name (like org.herald.Speech1).")
        }
    }

    static func check(member: String) throws(DBusError) {
        guard isValidMember(member) else {
            throw .invalidArgs("\"\(member)\" is not a valid D-Bus method or signal name.")
        }
    }

    static func check(busName: String) throws(DBusError) {
        guard isValidBusName(busName) else {
            throw .invalidArgs("\"\(busName)\" is not a valid D-Bus bus name (like org.herald.Speech1 or :1.42).")
        }
    }

    static func check(signature: String) throws(DBusError) {
        guard isValidSignature(signature) else {
            throw .invalidArgs("\"\(signature)\" is not a valid D-Bus signature.")
        }
    }
}
