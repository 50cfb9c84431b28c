internal import ArgumentParser
internal import HeraldConfig
internal import HeraldCore

/// `herald lexicon`: the person's pronunciation lexicon.
struct LexiconCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lexicon", abstract: "Check the pronunciation lexicon.",
        discussion: """
            The lexicon ($XDG_CONFIG_HOME/herald/lexicon.toml, or [text] lexicon in the config) says \
            words your way with every voice. After editing it, `herald reload` makes the daemon use it.
            """,
        subcommands: [LexiconTestCommand.self])
}

/// `herald lexicon test`: what the daemon will say for a text, from the same file and code.
struct LexiconTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Print a text as the lexicon makes Herald say it.",
        discussion: """
            Reads the lexicon the daemon would read and prints TEXT with its entries applied: the \
            words an engine receives (punctuation is then read as the message's settings say). A \
            lexicon with a mistake is reported with its file and line, and herald exits 1.

              herald lexicon test "GNOME v3.2 is out"
              herald lexicon test --language de "GNOME"
            """)

    @Argument(help: "The text to try.")
    var text: String

    @Option(name: .long, help: "The language the text is in (BCP 47): entries for that language apply too.")
    var language: String?

    @Option(name: .long, help: ArgumentHelp("The config file naming the lexicon (default: $XDG_CONFIG_HOME/herald/config.toml).", valueName: "path"))
    var config: String?

    func run() async throws {
        do throws(ConfigurationError) {
            let configuration = try Configuration.load(path: config)
            let (path, named) = configuration.lexiconPath()
            let lexicon = try LexiconFile.load(path: path, named: named)
            if lexicon.isEmpty { FileHandleOutput.standardError("herald: no lexicon entries (\(path)); the text is said as written\n") }
            print(lexicon.apply(to: text, language: language))
        } catch {
            fail(CLIError(error.description))
        }
    }
}
