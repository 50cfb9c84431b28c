import ArgumentParser
import HeraldCLI

/// The `herald` executable; the commands live in HeraldCLI, where tests reach them.
@main
struct Entry {
    static func main() async {
        let command: any AsyncParsableCommand.Type = HeraldCommand.self
        await command.main()
    }
}
