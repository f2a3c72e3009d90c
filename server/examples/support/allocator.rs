//! The allocator the `refhound` binary ships with (see its `main.rs`), so that an example
//! measures the allocations it makes, tree-sitter's included, as the binary makes them.

#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
