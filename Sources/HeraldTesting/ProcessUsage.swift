internal import Foundation

#if canImport(Glibc)
    public import Glibc
#endif

/// CPU time (user + system) the whole process has used so far.
///
/// For tests that check an idle or playing component costs little: all test
/// targets share the process, so such suites run under `.timingSensitive`.
public func processCPUTime() -> Duration {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000
        + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micros)
}

/// Bytes of a process resident in memory now (`/proc/PID/statm`; this
/// process when `pid` is nil), for tests that check memory stays bounded on
/// huge input or a long run; nil where there is no /proc or no such process.
public func processResidentBytes(pid: pid_t? = nil) -> Int? {
    let path = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
    guard let text = try? String(contentsOfFile: path, encoding: .ascii) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Context switches (voluntary and not) of every thread of a process so far,
/// from `/proc/PID/task/*/status`: how often it woke. A process that sleeps
/// adds none; a sound server running its graph adds hundreds a second. nil
/// when the process is gone.
public func processContextSwitches(pid: pid_t) -> Int? {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
    var total = 0
    for task in tasks {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else { continue }
        for line in status.split(separator: "\n") where line.contains("ctxt_switches") {
            total += line.split(separator: "\t").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        }
    }
    return total
}
