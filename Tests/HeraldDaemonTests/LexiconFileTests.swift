import HeraldConfig
import HeraldCore
import Testing

/// `lexicon.toml` as a person writes it: the issue's own example reads, and
/// each mistake is named with its file, line and what to fix.
struct LexiconFileTests {
    @Test func theDocumentedFormReads() throws {
        let lexicon = try LexiconFile.parse(
            """
            [[entry]]
            word = "GNOME"                 # a whole word; case-insensitive unless case = true
            say = "guh nome"
            language = "en"                # optional: every language when absent

            [[entry]]
            regex = '\\bv(\\d+)\\.(\\d+)\\b'   # a regular expression; $1… in say
            say = "version $1 point $2"

            [[entry]]
            word = "US"
            case = true
            say = "United States"
            """, file: "lexicon.toml")
        #expect(lexicon.entries.count == 3)
        #expect(lexicon.apply(to: "GNOME v2.4 in the US", language: "en-GB") == "guh nome version 2 point 4 in the United States")
    }

    @Test(arguments: [
        ("[[entry]]\nword = \"a\"\n", 1, "[[entry]]", "has no say"),
        ("[[entry]]\nsay = \"a\"\n", 1, "[[entry]]", "neither word nor regex"),
        ("\n[[entry]]\nword = \"a\"\nregex = \"b\"\nsay = \"c\"\n", 4, "[[entry]] regex", "not both"),
        ("[[entry]]\nword = \"a\"\nsay = \"b\"\n\n[[entry]]\nregex = '(a+)+'\nsay = \"c\"\n", 6, "[[entry]] regex", "exponential"),
        ("[[entry]]\nregex = 'v(\\d+'\nsay = \"c\"\n", 2, "[[entry]] regex", "does not compile"),
        ("[[entry]]\nregex = 'v(\\d+)'\nsay = \"$2\"\n", 3, "[[entry]] say", "has 1 group"),
        ("[[entry]]\nword = \"a\"\nsay = \"b\"\ncolour = \"red\"\n", 4, "[[entry]] colour", "unknown key"),
        ("[[entry]]\nregex = 'a'\ncase = true\nsay = \"b\"\n", 3, "[[entry]] case", "word entries only"),
        ("word = \"a\"\n", 1, "word", "only [[entry]] tables"),
        ("[[entry]\nword = \"a\"\n", 1, nil, "expected"),
    ] as [(String, Int, String?, String)])
    func mistakesNameTheLineAndTheFix(text: String, line: Int, key: String?, problem: String) {
        #expect {
            _ = try LexiconFile.parse(text, file: "/home/me/.config/herald/lexicon.toml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            print("lexicon error: \(error)")
            return error.file == "/home/me/.config/herald/lexicon.toml" && error.line == line && error.key == key
                && error.problem.contains(problem)
        }
    }

    @Test func aMissingDefaultFileIsNoLexiconButANamedOneIsAnError() throws {
        #expect(try LexiconFile.load(path: "/nonexistent-herald/lexicon.toml", named: false).isEmpty)
        #expect(throws: ConfigurationError.self) { try LexiconFile.load(path: "/nonexistent-herald/lexicon.toml", named: true) }
    }

    @Test func theConfigNamesTheLexiconAndDefaultsBesideIt() throws {
        let named = try Configuration.parse("[text]\nlexicon = \"~/words.toml\"\n", file: "config.toml")
        #expect(named.lexiconPath(environment: ["HOME": "/home/me"]).path == "/home/me/words.toml")
        let unnamed = try Configuration.parse("", file: "config.toml")
        #expect(unnamed.lexiconPath(environment: ["XDG_CONFIG_HOME": "/cfg"]) == ("/cfg/herald/lexicon.toml", false))
    }
}
