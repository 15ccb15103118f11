//! The `dash` binary: everything lives in the library; this only hands over control.

fn main() -> std::process::ExitCode {
    return_big_blocks_to_the_system();
    dash::cli::main()
}

/// glibc serves blocks below its mmap threshold from its heaps and raises that threshold
/// (up to 32 MiB) each time a big mapped block is freed. dash holds a big file's text,
/// its new text and the edits' bookkeeping for a moment each; with a raised threshold
/// every such block is carved from a heap whose freed holes stay in the process's memory,
/// so a 50 MB file peaked at 360 MB resident for 255 MB ever allocated at once. A fixed
/// threshold of 1 MiB maps every big block on its own and gives it back when it is freed
/// (300 MB); small allocations are unaffected.
fn return_big_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; called before any thread
    // starts, so nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
