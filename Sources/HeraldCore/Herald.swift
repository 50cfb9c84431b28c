public enum Herald { public static let version: UInt32 = 1 }
