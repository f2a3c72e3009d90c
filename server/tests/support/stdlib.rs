//! The local Python's standard library, for the tests that run over all of it.

use std::path::PathBuf;

/// Every `*.py` file of the standard library of the `python3` on `PATH`, its installed
/// packages (`site-packages`) left out.
pub fn files() -> Vec<PathBuf> {
    let stdlib = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 runs");
    let stdlib = String::from_utf8(stdlib.stdout).expect("a UTF-8 path");
    ignore::WalkBuilder::new(stdlib.trim())
        .standard_filters(false)
        .build()
        .flatten()
        .map(|entry| entry.into_path())
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .filter(|path| !path.components().any(|c| c.as_os_str() == "site-packages"))
        .collect()
}
