public import HeraldDBus

extension DBusSignalStream {
    /// The next signal, or nil when none comes within `timeout` (scaled by the timing scale).
    public func first(within timeout: Duration) async -> DBusSignal? {
        let timeout = timeout.timingScaled
        return await withTaskGroup(of: DBusSignal?.self) { group in
            group.addTask {
                for await signal in self { return signal }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result
        }
    }
}
