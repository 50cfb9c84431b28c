internal import HeraldCore

/// What one SSIP connection has set: kept per connection, copied into each
/// message it queues (so a later SET never changes what is already queued).
struct SessionSettings: Sendable, Equatable {
    /// `user:client:component`, for logs; Speech Dispatcher's default.
    var clientName = "unknown:unknown:unknown"
    /// Speech Dispatcher's factory `DefaultPriority` is `text`.
    var priority: Priority = .text
    var voice = VoiceSettings()
    /// What `GET VOICE_TYPE` answers; `MALE1` is Speech Dispatcher's factory default.
    var voiceType: VoiceType = .male1
    var ssml = false
    var notifications: NotificationSet = []
    /// nil: the first engine of the chain.
    var outputModule: String?
    var inBlock = false
}
