//! Panics caught at a task's edge: a bug is logged and counted, never
//! allowed to end a job loop or a row stream silently.

/// The text of a caught panic's payload.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
