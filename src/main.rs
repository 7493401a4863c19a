//! The `quorate` command line; everything it does lives in the library's `cli` module.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    quorate::cli::main()
}
