import HeraldCore
import Testing

struct SpellerTests {
    @Test(arguments: [
        ("Hello", CapitalLetterMode.spell, "capital h, e, l, l, o"),
        ("Hello", .icon, "capital h, e, l, l, o"),
        ("Hello", .none, "H, e, l, l, o"),
        ("a b", .none, "a, space, b"),
        ("R2-D2!", .spell, "capital r, 2, dash, capital d, 2, exclamation mark"),
        ("é\n\t", .none, "é, newline, tab"),
        ("Ünï", .spell, "capital ü, n, ï"),
        ("a@b.c", .none, "a, at, b, period, c"),
        ("", .spell, ""),
    ])
    func spelling(_ text: String, _ capitals: CapitalLetterMode, _ expected: String) {
        #expect(Speller.spell(text, capitals: capitals) == expected)
    }

    @Test(arguments: [
        (" ", CapitalLetterMode.none, "space"),
        ("space", .none, "space"),
        ("\n", .none, "newline"),
        ("\t", .none, "tab"),
        ("a", .none, "a"),
        ("a", .spell, "a"),
        ("A", .spell, "capital a"),
        ("A", .icon, "capital a"),
        ("A", .none, "A"),
        (",", .none, "comma"),
        ("@", .spell, "at"),
        ("€", .none, "euro"),
        ("5", .none, "5"),
        ("ж", .none, "ж"),
        ("Ab", .spell, "capital a, b"),
        ("", .none, ""),
    ])
    func characterNames(_ character: String, _ capitals: CapitalLetterMode, _ expected: String) {
        #expect(Speller.characterName(character, capitals: capitals) == expected)
    }

    @Test(arguments: [
        ("shift_a", "shift a"),
        ("control_alt_Delete", "control alt delete"),
        ("ctrl_c", "control c"),
        ("space", "space"),
        ("Return", "enter"),
        ("KP_Enter", "keypad enter"),
        ("kp-enter", "keypad enter"),
        ("kp-*", "keypad times"),
        ("BackSpace", "backspace"),
        ("underscore", "underscore"),
        ("_", "underscore"),
        ("shift_Tab", "shift tab"),
        ("super_l", "super l"),
        ("hyper_meta_x", "hyper meta x"),
        ("Page_Up", "page up"),
        ("num-lock", "num lock"),
        ("double-quote", "double quote"),
        ("alt_F4", "alt f4"),
        ("control_,", "control comma"),
        ("Escape", "escape"),
        ("", ""),
    ])
    func keyNames(_ key: String, _ expected: String) {
        #expect(Speller.keyName(key) == expected)
    }
}
