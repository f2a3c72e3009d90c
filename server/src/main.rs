use std::process::ExitCode;

#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts (`MALLOC_CONF` in the environment still overrides
/// them); measured with `bench/lsp.sh` part (b), figures in `bench/README.md`:
/// - `background_thread:true`: a thread returns freed pages to the system on its own. Without
///   it pages are only returned while the server allocates, so memory freed by closing
///   documents stays with an idle server;
/// - `dirty_decay_ms:1000`: freed pages go back within about a second (jemalloc's default is
///   ten), as an editor's bursts of analyses end;
/// - `percpu_arena:percpu`: one arena per CPU instead of four per CPU, so that the runtime's many
///   threads reuse each other's freed memory instead of each arena keeping its own.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[unsafe(export_name = "malloc_conf")]
static MALLOC_CONF: &[u8; 63] = b"background_thread:true,dirty_decay_ms:1000,percpu_arena:percpu\0";

fn main() -> ExitCode {
    refhound::cli::main()
}
