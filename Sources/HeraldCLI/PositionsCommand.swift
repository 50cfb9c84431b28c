internal import ArgumentParser
internal import HeraldSystem

/// `herald positions`: the reading positions `--resume` uses.
struct PositionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions", abstract: "Show or forget where file readings stopped (for speak --resume).",
        discussion: """
            Herald keeps, for each file read with speak --file --wait, where the reading stopped: \
            hashes and offsets only, never the text or the file's name. Without options, says how \
            many files are remembered and where.
            """)

    @Flag(name: .long, help: "Forget every position.")
    var forget = false

    func run() async throws {
        let positions = ReadingPositions(environment: ProcessEnvironment.current)
        if forget {
            do throws(CLIError) {
                try positions.forgetAll()
            } catch {
                fail(error)
            }
            print("forgot every reading position (\(positions.path))")
            return
        }
        let count = positions.entries().count
        print("\(count) file\(count == 1 ? "" : "s") remembered in \(positions.path)")
    }
}
