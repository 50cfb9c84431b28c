internal import CDBus

/// One reference to a libdbus message, released when this object goes away.
///
/// A message is built on one thread and then handed over (to the dispatch
/// thread for sending, or from it to a handler task); it is never used by two
/// threads at once, which is what makes the `@unchecked Sendable` sound.
final class DBusMessageRef: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes over a reference the caller already owns (from `dbus_message_new_*`).
    init(adopting pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Adds a reference to a message libdbus lends us (in a filter callback).
    init(retaining pointer: OpaquePointer) {
        dbus_message_ref(pointer)
        self.pointer = pointer
    }

    deinit {
        dbus_message_unref(pointer)
    }

    // MARK: Header

    var type: Int32 { dbus_message_get_type(pointer) }
    var sender: String? { dbus_message_get_sender(pointer).map { String(cString: $0) } }
    var destination: String? { dbus_message_get_destination(pointer).map { String(cString: $0) } }
    var path: String? { dbus_message_get_path(pointer).map { String(cString: $0) } }
    var interface: String? { dbus_message_get_interface(pointer).map { String(cString: $0) } }
    var member: String? { dbus_message_get_member(pointer).map { String(cString: $0) } }
    var errorName: String? { dbus_message_get_error_name(pointer).map { String(cString: $0) } }
    var signature: String { dbus_message_get_signature(pointer).map { String(cString: $0) } ?? "" }
    var replySerial: UInt32 { dbus_message_get_reply_serial(pointer) }
    var expectsReply: Bool { dbus_message_get_no_reply(pointer) == 0 }
    var containsUnixFDs: Bool { dbus_message_contains_unix_fds(pointer) != 0 }

    func setNoReply() {
        dbus_message_set_no_reply(pointer, 1)
    }

    // MARK: Making messages

    static func methodCall(
        destination: String?,
        path: String,
        interface: String?,
        method: String
    ) throws(DBusError) -> DBusMessageRef {
        if let destination { try DBusSyntax.check(busName: destination) }
        try DBusSyntax.check(path: path)
        if let interface { try DBusSyntax.check(interface: interface) }
        try DBusSyntax.check(member: method)
        guard let message = dbus_message_new_method_call(destination, path, interface, method) else {
            throw .noMemory
        }
        return DBusMessageRef(adopting: message)
    }

    static func signal(path: String, interface: String, name: String) throws(DBusError) -> DBusMessageRef {
        try DBusSyntax.check(path: path)
        try DBusSyntax.check(interface: interface)
        try DBusSyntax.check(member: name)
        guard let message = dbus_message_new_signal(path, interface, name) else { throw .noMemory }
        return DBusMessageRef(adopting: message)
    }

    /// A method return for this method call, carrying `values`.
    func methodReturn(_ values: [DBusValue]) throws(DBusError) -> DBusMessageRef {
        guard let reply = dbus_message_new_method_return(pointer) else { throw .noMemory }
        let message = DBusMessageRef(adopting: reply)
        try message.append(values)
        return message
    }

    /// An error reply to this method call. A name that is not a valid error name
    /// becomes `Failed` (keeping the text), since libdbus would abort on it.
    func errorReply(_ error: DBusError) -> DBusMessageRef? {
        let name = DBusSyntax.isValidErrorName(error.name) ? error.name : DBusError.Names.failed
        let text = error.message.utf8.contains(0) ? String(error.message.split(separator: "\0").first ?? "") : error.message
        return dbus_message_new_error(pointer, name, text).map { DBusMessageRef(adopting: $0) }
    }

    // MARK: Body

    /// Appends `values` after validating all of them, so a bad value leaves the body untouched.
    func append(_ values: [DBusValue]) throws(DBusError) {
        try DBusMarshalling.append(values, to: pointer)
    }

    /// Decodes the whole body; never traps, whatever the peer sent.
    func arguments() throws(DBusError) -> [DBusValue] {
        try DBusMarshalling.read(pointer)
    }

    /// For an error message: its name and first string argument as a `DBusError`.
    func asError() -> DBusError {
        var text = ""
        if let first = try? arguments().first, case .string(let message) = first {
            text = message
        }
        return DBusError(name: errorName ?? DBusError.Names.failed, message: text)
    }
}
