internal import Foundation

#if canImport(Glibc)
    internal import Glibc
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

/// Bytes of the process resident in memory now (`/proc/self/statm`), for
/// tests that check memory stays bounded on huge input; nil where there is no /proc.
public func processResidentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .ascii) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
