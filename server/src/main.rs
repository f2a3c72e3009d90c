use std::process::ExitCode;

fn main() -> ExitCode {
    refhound::cli::main()
}
