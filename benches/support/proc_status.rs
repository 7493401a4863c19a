//! The process's resident memory as Linux reports it in `/proc/self/status`, for the benchmarks
//! and examples that print memory beside time (`#[path]`-included by each: benches and examples
//! are separate crates). Elsewhere, or if the file cannot be read, every figure is `None`.

/// A field of `/proc/self/status` in kilobytes: `VmRSS` (resident now) or `VmHWM` (the most
/// resident since the start, or since [`reset_peak`]).
pub(crate) fn status_kilobytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Starts a new resident high-water mark (Linux: writing 5 to `clear_refs`).
#[allow(dead_code)] // not every includer resets the peak
pub(crate) fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
