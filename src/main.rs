//! Start-up wiring only: parse the command line and run it.

fn main() -> std::process::ExitCode {
    lookout::cli::main()
}
