// The fake Workers AI of HeraldTesting as a process, for bench/run: heraldd
// reaches it over the loopback like the real service, so the benchmark times
// Herald's own share of a cloud voice's latency. Not a product: never installed.
//
//   herald-fake-workers-ai --token-file PATH
//
// Writes a fresh API token to PATH (0600; never in argv), then prints
// `ready BASE_URL ACCOUNT_ID` and, as they happen, `flush SEQ NS` and
// `first-audio SEQ NS` and `flush-refused SEQ NS` (a flush over Deepgram's
// limit; CLOCK_MONOTONIC nanoseconds, the clock of the ALSA shim). Reads commands on stdin, one a line: `delay MS` (before the first
// byte of every answer), `pace MS` (between 20 ms audio frames; 0 = at once),
// `count` (prints `count FLUSHES REQUESTS POSTS REFUSED_FLUSHES REFUSED_429`).
// Exits at end of input.
import Foundation
import Glibc
import HeraldTesting

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// One line on stdout, unbuffered: the benchmark reads it as it happens.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func complain(_ line: String) {
    FileHandle.standardError.write(Data(("herald-fake-workers-ai: " + line + "\n").utf8))
}

let arguments = CommandLine.arguments
guard let flag = arguments.firstIndex(of: "--token-file"), flag + 1 < arguments.count else {
    complain("usage: herald-fake-workers-ai --token-file PATH")
    exit(64)
}
let tokenFile = arguments[flag + 1]
let token = "bench-" + UUID().uuidString
guard FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
else {
    complain("cannot write \(tokenFile)")
    exit(1)
}

let fake = try await FakeWorkersAI.start(accountID: "bench-account", token: token)
fake.observeSocket { event in
    switch event {
    case .flushReceived(let sequence): say("flush \(sequence) \(monotonicNanoseconds())")
    case .firstAudioSent(let sequence): say("first-audio \(sequence) \(monotonicNanoseconds())")
    case .flushRefused(let sequence): say("flush-refused \(sequence) \(monotonicNanoseconds())")
    }
}
say("ready \(fake.baseURL) \(fake.accountID)")

while let line = readLine() {
    let words = line.split(separator: " ")
    guard let command = words.first else { continue }
    let milliseconds = words.count > 1 ? Int(words[1]) ?? 0 : 0
    switch command {
    case "delay": fake.delayFirstByte(by: .milliseconds(milliseconds))
    case "pace": fake.paceAudioFrames(every: .milliseconds(milliseconds))
    case "count":
        let flushes = fake.socketMessages.filter { $0.contains("\"Flush\"") }.count
        let (requests, posts) = fake.totals
        let (rate, sockets) = fake.refusals
        say("count \(flushes) \(requests) \(posts) \(fake.refusedFlushes) \(rate + sockets)")
    default: complain("unknown command \(command)")
    }
}
await fake.stop()
